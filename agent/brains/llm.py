"""The LLM brain: plans, writes and revises through any OpenAI-compatible endpoint.

The model proposes; code disposes. Every reply is validated against film.py's schema, then
settled by code: the plan is clamped to the catalog and filled from the rules brain where it is
thin (llm_plan.py), every prompt is linted and mechanically fixed (a prompt that still breaks a
rule after one rewrite is replaced by the rules brain's), and a revision that names an unknown
model, a value the model cannot take, or more than one variable is replaced by the rules
brain's proposal. Routing and the budget stay in code: the model is never asked to choose
them and cannot override them.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from langgraph.config import get_stream_writer

from director.agent.brains.llm_client import (
    LLMError,
    LLMSettings,
    llm_configured,
    make_client,
)
from director.agent.brains.llm_plan import max_shots, settle_plan
from director.agent.brains.llm_prompts import data_block, render
from director.agent.brains.llm_schemas import PlanDraft, RevisionDraft
from director.agent.brains.rules import RulesBrain
from director.agent.variables import PART_OF, changed_spec_variables
from director.commands import ConverseContext, ConverseReply
from director.errors import DirectorError
from director.film import Bible, Brief, GenerationRequest, PromptSpec, QCReport, Revision, Shot
from director.ledger import Ledger, LedgerEntry
from director.plan import ShotList
from director.prompts import lint
from director.tools import catalog

if TYPE_CHECKING:
    import httpx

    from director.agent.brains.llm_calls import StructuredCaller

Sink = Callable[[dict[str, Any]], None]
BRAINS = ("llm", "rules")
_THIN_WORDS = 3


def choose_brain(choice: str = "", env: Mapping[str, str] | None = None) -> str:
    """"llm" or "rules": the explicit choice, else llm when an endpoint is configured."""
    choice = choice.strip().lower()
    if choice and choice not in BRAINS:
        raise DirectorError(f"--brain must be llm or rules, not {choice!r}")
    return choice or ("llm" if llm_configured(env) else "rules")


def make_llm_brain(
    *,
    ledger: Ledger | None = None,
    on_event: Sink | None = None,
    env: Mapping[str, str] | None = None,
    http_client: httpx.Client | None = None,
) -> LLMBrain:
    """The LLM brain for the environment's endpoint (no network until the first call)."""
    # The openai SDK is imported here, not at module level: every `director` command imports
    # this module, and most never call an LLM.
    from director.agent.brains.llm_calls import StructuredCaller

    settings = LLMSettings.from_env(env)
    client = make_client(settings, env=env, http_client=http_client)
    return LLMBrain(StructuredCaller(client, settings), ledger=ledger, on_event=on_event)


class LLMBrain:
    """The Brain protocol over an OpenAI-compatible chat endpoint, with the rules brain as floor."""

    name = "llm"

    def __init__(self, caller: StructuredCaller, *, ledger: Ledger | None = None,
                 on_event: Sink | None = None, floor: RulesBrain | None = None) -> None:
        self.caller = caller
        self.caller.record = self._record
        self.ledger = ledger
        self.on_event = on_event
        self.floor = floor or RulesBrain()
        self._seq: int | None = None
        self._lock = threading.Lock()

    @property
    def settings(self) -> LLMSettings:
        return self.caller.settings

    def describe(self) -> str:
        """What the run says it used, e.g. "llm (gpt-4o-mini at https://api.openai.com/v1)"."""
        return f"llm ({self.settings.model} at {self.settings.endpoint})"

    # --- plan ----------------------------------------------------------------------------------

    def plan(self, brief: Brief, durations: Sequence[float]) -> ShotList:
        floor = self.floor.plan(brief, durations)
        limit = max_shots(brief.target_duration_s, durations)
        system = render("plan", durations=", ".join(f"{d:g}" for d in durations),
                        target_s=f"{brief.target_duration_s:g}", max_shots=limit)
        facts = (f"Plan this brief: a {brief.target_duration_s:g}s cut in {brief.aspect_ratio}, "
                 f"audio {'wanted' if brief.audio else 'not wanted'}, at most {limit} shots of "
                 f"{', '.join(f'{d:g}' for d in durations)} seconds.")
        self._emit({"event": "llm_planning", "model": self.settings.model})
        draft = self.caller.call("plan", PlanDraft, [
            {"role": "system", "content": system},
            {"role": "user", "content": f"{facts}\n\n{data_block('brief', brief)}"},
        ])
        self._emit({"event": "llm_plan_drafted", "shots": len(draft.shots),
                    "beats": len(draft.beats)})
        shotlist, notes = settle_plan(draft, brief, durations, floor)
        question = " ".join(draft.question.split())[:300]
        continuity = [" ".join(n.split())[:200] for n in draft.continuity if n.strip()][:12]
        shotlist = shotlist.model_copy(update={"question": question, "continuity": continuity})
        self._emit({"event": "llm_plan_settled", "shots": len(shotlist.shots), "notes": notes,
                    "question": question})
        return shotlist

    # --- write ---------------------------------------------------------------------------------

    def write(self, shot: Shot, bible: Bible) -> PromptSpec:
        floor = self.floor.write(shot, bible)
        seen = Bible(characters=[c for c in bible.characters if c.name in shot.characters],
                     locations=[loc for loc in bible.locations if loc.name == shot.location],
                     look=bible.look)
        ask = (f"Write the prompt spec for shot {shot.index + 1}.\n\n"
               f"{data_block('shot', shot)}\n\n{data_block('bible', seen)}")
        messages = [
            {"role": "system", "content": render("write")},
            {"role": "user", "content": ask},
        ]
        draft = self.caller.call("write", PromptSpec, messages, shot=shot.index)
        carried = sum(1 for c in seen.characters if c.descriptor in draft.subject)
        # The model's own draft, before code fills or fixes anything: the figure bench reports.
        drafted = lint.lint(draft.model_copy(update={"shot_index": shot.index}), shot, bible)
        spec = self._spec(draft, shot, floor)
        findings = lint.lint(spec, shot, bible)
        if findings:
            listed = "\n".join(f"- `{f.rule}`: {f.message}" for f in findings)
            messages += [
                {"role": "assistant", "content": spec.model_dump_json()},
                {"role": "user", "content": render("rewrite", findings=listed)},
            ]
            spec = self._spec(self.caller.call("rewrite", PromptSpec, messages, shot=shot.index),
                              shot, floor)
        fixed, remaining = lint.fix(spec, shot, bible)
        errors = [f for f in remaining if f.severity == "error"]
        self._emit({"event": "llm_written", "shot": shot.index, "first_draft_findings":
                    len(drafted), "used": "rules" if errors else "llm",
                    "parts_from_rules": sum(getattr(spec, p) == getattr(floor, p) for p in
                                            ("subject", "camera", "environment", "atmosphere")),
                    "descriptors": len(seen.characters), "descriptors_carried": carried})
        return floor if errors else fixed

    def _spec(self, draft: PromptSpec, shot: Shot, floor: PromptSpec) -> PromptSpec:
        """The model's spec with code's bookkeeping, thin parts taken from the floor's."""
        parts = {}
        for name in ("subject", "camera", "environment", "atmosphere"):
            text = " ".join(getattr(draft, name).split())
            parts[name] = text if len(text.split()) >= _THIN_WORDS else getattr(floor, name)
        negative = " ".join(draft.negative_prompt.split()) or floor.negative_prompt
        return PromptSpec(shot_index=shot.index, negative_prompt=negative, audio=floor.audio,
                          **parts)

    # --- revise --------------------------------------------------------------------------------

    def revise(self, shot: Shot, spec: PromptSpec, request: GenerationRequest, qc: QCReport,
               history: list[Revision]) -> Revision | None:
        fallback = self.floor.revise(shot, spec, request, qc, history)
        take = {"shot": shot.model_dump(), "prompt_spec": spec.model_dump(),
                "request": request.model_dump(exclude={"hints"}),
                "qc_findings": [f.model_dump() for f in qc.findings if f.severity == "fail"],
                "history": [r.model_dump() for r in history]}
        messages = [
            {"role": "system", "content": render("revise", variables=_variables(request))},
            {"role": "user", "content": data_block("take", take)},
        ]
        try:
            draft = self.caller.call("revise", RevisionDraft, messages, shot=shot.index)
        except LLMError as exc:
            # A take is already paid for: a failed call must not stop the shot.
            self._emit({"event": "llm_fallback", "call": "revise", "shot": shot.index,
                        "reason": str(exc)})
            return fallback
        revision, problem = _revision(draft, shot, spec, request, qc, history)
        if revision is None:
            self._emit({"event": "llm_fallback", "call": "revise", "shot": shot.index,
                        "reason": problem})
            return fallback
        return revision

    # --- converse ------------------------------------------------------------------------------

    def converse(self, message: str, context: ConverseContext) -> ConverseReply:
        """A short reply and typed commands via tool calling; the keyword reader answers when
        the endpoint fails or takes no tools, so the chat never goes silent."""
        from director.agent.brains.llm_converse import converse as llm_converse

        try:
            return llm_converse(self.caller, message, context)
        except LLMError as exc:
            self._emit({"event": "llm_fallback", "call": "converse", "reason": str(exc)})
            return self.floor.converse(message, context)

    # --- accounting and progress ---------------------------------------------------------------

    def _record(self, usage: dict[str, Any]) -> None:
        with self._lock:
            if self._seq is None:
                old = self.ledger.entries() if self.ledger else []
                self._seq = max((e.attempt for e in old if e.kind == "llm"), default=0)
            self._seq += 1
            seq = self._seq
        if self.ledger is not None:
            self.ledger.append(LedgerEntry(kind="llm", shot=int(usage.get("shot", -1)),
                                           attempt=seq, time=time.time(), data=usage))
        self._emit({"event": "llm_call", **usage})

    def _emit(self, event: dict[str, Any]) -> None:
        """Progress to the graph's `custom` stream (when called inside a node) and the sink."""
        try:
            writer = get_stream_writer()
        except RuntimeError:
            writer = None
        if writer is not None:
            writer(event)
        if self.on_event is not None:
            self.on_event(event)


def _variables(request: GenerationRequest) -> str:
    """What a retake of this request may change, with the values code will accept."""
    current = catalog.get(request.model)
    models = [m.id for m in _model_choices(request)]
    return "\n".join([
        f"- `seed`: now {request.seed}; any other whole number from 0 to 2147483647.",
        f"- `model`: now {current.id}; one of: {', '.join(models) or 'none (do not choose it)'}.",
        f"- `params`: now {json.dumps({'duration_s': request.duration_s})}; `duration_s` may be "
        f"one of {', '.join(f'{d:g}' for d in current.durations)}.",
        "- a prompt variable (`subject`, `action`, `camera`, `environment`, `lighting`, "
        "`atmosphere`): `after` is the whole new text of the prompt part that holds it "
        "(subject and action: `subject`; environment and lighting: `environment`), with only "
        "that variable's sentences rewritten.",
    ])


def _model_choices(request: GenerationRequest) -> list[catalog.ModelSpec]:
    """Models that can render this request unchanged on the same service (budget is checked
    at submission, whatever is chosen)."""
    return [m for m in catalog.models()
            if m.id != request.model and request.provider in m.providers
            and request.aspect_ratio in m.aspect_ratios and m.text_to_video and m.verified
            and any(abs(d - request.duration_s) < 1e-6 for d in m.durations)
            and (m.audio or not request.audio)]


def _revision(draft: RevisionDraft, shot: Shot, spec: PromptSpec, request: GenerationRequest,
              qc: QCReport, history: list[Revision]) -> tuple[Revision | None, str]:
    """The model's proposal as a film.Revision, or None and why it cannot be run."""
    variable, after = draft.variable, draft.after.strip()
    if any(r.variable == variable and r.after == after for r in history):
        return None, f"{variable} -> {after[:60]} was already tried"
    before: str
    if variable == "seed":
        if not after.isdigit() or not 0 <= int(after) < 2**31 or int(after) == request.seed:
            return None, f"seed {after[:20]!r} is not a new whole number"
        before = str(request.seed)
    elif variable == "model":
        if after not in {m.id for m in _model_choices(request)}:
            return None, f"model {after[:40]!r} is not one that can render this request"
        before = request.model
    elif variable == "params":
        try:
            change = json.loads(after)
        except ValueError:
            return None, "params is not a JSON object"
        durations = catalog.get(request.model).durations
        if (not isinstance(change, dict) or set(change) != {"duration_s"}
                or not isinstance(change["duration_s"], int | float)
                or not any(abs(d - change["duration_s"]) < 1e-6 for d in durations)
                or abs(change["duration_s"] - request.duration_s) < 1e-6):
            return None, f"params {after[:60]} is not a new duration the model accepts"
        before, after = json.dumps({"duration_s": request.duration_s}), json.dumps(change)
    else:
        part = PART_OF[variable]
        before = getattr(spec, part)
        changed = changed_spec_variables(spec, spec.model_copy(update={part: after}), shot)
        if changed != {variable}:
            return None, f"the {variable} rewrite changed {sorted(changed) or 'nothing'}"
    finding = next((f for f in qc.findings if f.severity == "fail"), None)
    cause = f"{finding.check}: {finding.message}" if finding else "failed inspection"
    return Revision(shot_index=shot.index, attempt=request.attempt + 1, variable=variable,
                    before=before, after=after,
                    reason=f"{cause} ({' '.join(draft.rationale.split())[:200]})"), ""
