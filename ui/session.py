"""The service every front door drives: commands executed against one project folder.

A Session holds no project state of its own: every reply is read back from the checkpoint,
plan.json's source, and the ledger, so the shell, the chat page, Slack and `director resume`
can take turns on the same folder. Commands that may spend money come back `pending` and run
only when called again confirmed (or when the person answers "yes").
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from director.agent.brains.base import Brain
from director.agent.brains.llm_client import scrub
from director.agent.checkpoint import require_run
from director.agent.context import RunContext
from director.briefs import parse_text_brief
from director.commands import (
    Command,
    ConverseContext,
    ConverseReply,
    EditShot,
    New,
    spends_money,
)
from director.config import Settings
from director.errors import DirectorError
from director.project import Project, atomic_write_text, slugify
from director.tools.providers.base import VideoProvider
from director.ui import graphstate, texts
from director.ui.commands import CommandError, is_command, parse, usage
from director.ui.graphstate import Snapshot
from director.ui.operations import Operations
from director.ui.runner import make_context
from director.ui.views import ProjectView, build_view

log = logging.getLogger(__name__)

YES_WORDS = frozenset({"yes", "y", "confirm", "ok", "go", "go ahead", "do it", "/yes", "/confirm"})
NO_WORDS = frozenset({"no", "n", "cancel", "stop", "/no", "/cancel"})


@dataclass
class Reply:
    """What a command or message produced, for any front door to show."""

    text: str
    """Markdown for the person."""
    pending: list[Command] = field(default_factory=list)
    """Commands awaiting the person's yes (money to spend, or changes a brain proposed)."""
    files: list[Path] = field(default_factory=list)
    """Files inside the project worth showing: storyboard, takes, final cut, report."""
    view: ProjectView | None = None
    """The project as it stands after this reply."""
    ok: bool = True
    """False when the command failed (bad input, nothing to do, provider or budget error)."""
    estimate_usd: float | None = None
    """What the pending commands would cost, when known (doors label their confirm button)."""


class Fanout:
    """A session's on_event that forwards graph events to whichever listeners are attached now
    (a door attaches one per request it is answering, and detaches it when done)."""

    def __init__(self) -> None:
        self.sinks: list[Callable[[dict[str, Any]], None]] = []

    def __call__(self, event: dict[str, Any]) -> None:
        for sink in list(self.sinks):
            sink(event)


class Session:
    """Commands against one project folder (or none yet: `new` creates one)."""

    def __init__(
        self,
        settings: Settings,
        *,
        projects_dir: Path | None = None,
        project: Project | None = None,
        brain: Brain | None = None,
        providers: Callable[[str], VideoProvider] | None = None,
        provider: str = "",
        tier: str = "",
        on_event: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        """`brain`, `providers` replace the defaults of make_context (tests, the LLM brain);
        `provider`/`tier` override the settings for every run; `on_event` gets graph events."""
        self.settings = settings
        self.projects_dir = projects_dir or settings.projects_dir
        self.project = project
        self.brain = brain
        self.providers = providers
        self.provider = provider
        self.tier = tier
        self.on_event = on_event
        self.pending: list[Command] = []
        self._lock = asyncio.Lock()

    @classmethod
    async def create(
        cls, brief_text: str, projects_dir: Path, settings: Settings, **kw: Any
    ) -> Session:
        """A new project planned from `brief_text` (nothing rendered); raises DirectorError."""
        session = cls(settings, projects_dir=projects_dir, **kw)
        reply = await session.execute(New(text=brief_text))
        if not reply.ok:
            raise DirectorError(reply.text.splitlines()[0])
        return session

    @classmethod
    def open(cls, project_dir: Path, settings: Settings, **kw: Any) -> Session:
        """A session on an existing project folder (made by any door or `director run`)."""
        project = require_run(Project(Path(project_dir)))
        return cls(settings, project=project, projects_dir=project.root.parent, **kw)

    # --- entry points ---------------------------------------------------------------------

    async def handle(self, message: str, *, confirmed: bool = False) -> Reply:
        """A line from a person: a command runs; "yes"/"no" answers a pending question; anything
        else goes to the brain's converse call, which answers and proposes commands."""
        text = (message or "").strip()
        low = text.lower().rstrip(".!")
        if self.pending and (low in YES_WORDS or (confirmed and not text)):
            return await self.confirm()
        if self.pending and low in NO_WORDS:
            return await self.cancel()
        if low in YES_WORDS or low in NO_WORDS:
            return await self._reply("Nothing is waiting for confirmation.")
        if not text:
            return await self._reply(usage(), ok=False)
        # Anything else moves on from a question left unanswered: a later "yes" must never run
        # a stale proposal (for a project that has changed since it was priced).
        self.pending = []
        if is_command(text):
            try:
                cmd = parse(text)
            except CommandError as exc:
                if text.startswith("/"):
                    return await self._reply(str(exc), ok=False)
            else:
                return await self.execute(cmd, confirmed=confirmed)
        return await self.converse(text)

    async def execute(self, cmd: Command, *, confirmed: bool = False) -> Reply:
        """Run one command. Money-spending ones return `pending` unless `confirmed`."""
        async with self._lock:
            try:
                ops = self._operations()
                if cmd.name in _PRICED and not confirmed:
                    estimate = await ops.estimate(cmd)
                    if spends_money(cmd, estimate):
                        self.pending = [cmd]
                        return await self._ask([cmd], estimate)
                result = await ops.run(cmd)
                if cmd.name == "new":
                    self.project = ops.project
                return await self._reply(result.text, files=result.files, ok=result.ok)
            except DirectorError as exc:
                return await self._reply(_one_line(exc), ok=False)
            except Exception as exc:
                # A door shows one line, never a traceback; the details go to the debug log.
                log.debug("%s failed", cmd.name, exc_info=True)
                return await self._reply(f"{cmd.name} failed unexpectedly: {type(exc).__name__}: "
                                         f"{scrub(_one_line(exc))}", ok=False)

    async def confirm(self) -> Reply:
        """Run the commands awaiting confirmation, in order; stop at the first failure."""
        todo, self.pending = self.pending, []
        if not todo:
            return await self._reply("Nothing is waiting for confirmation.")
        parts: list[str] = []
        files: list[Path] = []
        for cmd in todo:
            reply = await self.execute(cmd, confirmed=True)
            parts.append(reply.text)
            files += reply.files
            if not reply.ok:
                return await self._reply("\n\n".join(parts), files=files, ok=False)
        return await self._reply("\n\n".join(parts), files=files)

    async def cancel(self) -> Reply:
        todo, self.pending = self.pending, []
        names = ", ".join(c.name for c in todo) or "nothing"
        return await self._reply(f"Cancelled ({names}); nothing was run.")

    async def converse(self, message: str) -> Reply:
        """Free words: the brain answers and proposes commands; read-only ones run at once, the
        rest wait for a yes. A proposal that cannot run now is dropped with the reason."""
        try:
            answer = await self._answer(message)
        except DirectorError as exc:
            return await self._reply(_one_line(exc), ok=False)
        parts = [answer.reply]
        files: list[Path] = []
        proposals: list[Command] = []
        estimate: float | None = 0.0
        ops = self._operations()
        for cmd in answer.commands:
            if read_only(cmd):
                reply = await self.execute(cmd)
                parts.append(reply.text)
                files += reply.files
                continue
            try:
                cost = await ops.estimate(cmd) if cmd.name in _PRICED else 0.0
            except DirectorError as exc:
                parts.append(f"(`{describe(cmd)}` cannot run: {_one_line(exc)})")
                continue
            proposals.append(cmd)
            estimate = None if cost is None or estimate is None else estimate + cost
        if proposals:
            self.pending = proposals
            ask = await self._ask(proposals, estimate)
            parts.append(ask.text)
            return await self._reply("\n\n".join(parts), files=files, pending=proposals)
        return await self._reply("\n\n".join(parts), files=files)

    async def _answer(self, message: str) -> ConverseReply:
        from director.agent.brains import intent

        context = await self.context()
        brain = self.brain or self._context(auto_approve=False).brain
        talk = getattr(brain, "converse", None)
        if talk is None:
            return intent.converse(message, context)
        return await asyncio.to_thread(talk, message, context)

    async def view(self) -> ProjectView:
        """The project as the checkpoint and ledger hold it now."""
        return build_view(self.project, await self._snapshot())

    async def context(self) -> ConverseContext:
        """What a brain needs to answer free words about this project."""
        snap = await self._snapshot()
        view = build_view(self.project, snap)
        return ConverseContext(
            stage=snap.stage,
            plan=snap.state.plan if snap.state else None,
            status=texts.status_text(view),
            spent_usd=view.budget.spent_usd,
            cap_usd=view.budget.cap_usd,
        )

    # --- helpers --------------------------------------------------------------------------

    def _context(self, *, auto_approve: bool, tier: str = "") -> RunContext:
        project = self.project or Project(self.projects_dir / "_")
        ctx = make_context(
            project,
            self.settings,
            auto_approve=auto_approve,
            provider=self.provider,
            tier=tier or self.tier,
            on_event=self.on_event,
        )
        if self.brain is not None:
            ctx.brain = self.brain
        if self.providers is not None:
            ctx.providers = self.providers
        return ctx

    def _operations(self) -> Operations:
        return Operations(self.project, self._context, self._new_project)

    def _new_project(self, text: str) -> tuple[Project, Any]:
        brief = parse_text_brief(text, source="brief")
        base = slugify(brief.title)
        root = self.projects_dir / base
        n = 2
        while root.exists():
            root = self.projects_dir / f"{base}-{n}"
            n += 1
        project = Project(root).ensure()
        atomic_write_text(root / "brief.md", text.strip() + "\n")
        self.project = project
        return project, brief

    async def _snapshot(self) -> Snapshot:
        if self.project is None:
            return Snapshot(None)
        return await graphstate.read(self.project)

    async def _ask(self, cmds: list[Command], estimate: float | None) -> Reply:
        money = (
            "cost unknown" if estimate is None else f"about ${estimate:.2f}"
        )
        listed = "\n".join(f"- `{describe(c)}`" for c in cmds)
        text = (f"Waiting for your yes ({money}):\n{listed}\n"
                "Reply **yes** to go ahead, **no** to drop it.")
        reply = await self._reply(text, pending=list(cmds))
        reply.estimate_usd = estimate
        return reply

    async def _reply(
        self,
        text: str,
        *,
        files: list[Path] | None = None,
        pending: list[Command] | None = None,
        ok: bool = True,
    ) -> Reply:
        try:
            view = await self.view()
        except DirectorError:
            view = None
        return Reply(text=text, pending=pending or [], files=files or [], view=view, ok=ok)


_READ_ONLY = frozenset({"plan", "shots", "cast", "status", "takes", "export", "help"})
_PRICED = frozenset({"approve", "render", "revise"})


def _one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:500] if lines else type(exc).__name__


def read_only(cmd: Command) -> bool:
    """Whether `cmd` only shows something (a brain's proposal of it runs without asking)."""
    return cmd.name in _READ_ONLY or (cmd.name == "budget" and cmd.usd is None)  # type: ignore[union-attr]


def describe(cmd: Command) -> str:
    """A command as the person would type it."""
    if isinstance(cmd, EditShot):
        return f"/edit shot {cmd.shot} {cmd.field} {cmd.value}"
    data = cmd.model_dump(exclude={"name"}, exclude_none=True)
    words = [f"/{cmd.name}"]
    for key, value in data.items():
        if key == "shots":
            words.append(",".join(map(str, value)))
        elif key in ("tier", "model"):
            words.append(f"--{key} {value}")
        elif key == "usd":
            words.append(f"{value:g}")
        else:
            words.append(str(value))
    return " ".join(words)
