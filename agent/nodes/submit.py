"""submit: start the paid task for the current attempt and record it before anything waits.

The ledger is written inside the spend lock together with the budget check, and read back
first: a replayed submit (crash after the provider answered) reuses the recorded task
instead of paying again.

A multi-shot group (`state.members`) is one request and one paid task: the ledger records it
once, under the lead's first attempt, with the member shots it renders.
"""

from __future__ import annotations

import asyncio
import time

from langgraph.runtime import Runtime

from director.agent.context import RunContext
from director.agent.nodes.common import emit
from director.agent.requests import first_request, group_request
from director.agent.state import ShotState
from director.errors import DirectorError, ProviderError
from director.film import GenerationRequest, Take, TaskRef
from director.idempotency import parse_take_key
from director.ledger import LedgerEntry, spent_of
from director.plan import Plan
from director.tools import catalog
from director.tools.providers import guards
from director.tools.providers.base import VideoProvider
from director.tools.stills import last_frame


async def submit(state: ShotState, runtime: Runtime[RunContext]) -> dict:
    ctx = runtime.context
    members = [m.index for m in state.members]
    if state.request is not None:
        request = state.request
    elif members:
        request = group_request(state.members, aspect_ratio=state.aspect_ratio,
                                resolution=state.resolution, audio=state.audio)
    else:
        request = first_request(
            state.planned,
            aspect_ratio=state.aspect_ratio,
            resolution=state.resolution,
            audio=state.audio,
            first_frame=await _first_frame(ctx, state),
        )
    shot, attempt = request.shot_index, request.attempt
    try:
        # A field the model would ignore or reject is refused here, before anything is paid.
        spec = guards.check_request(request)
    except ProviderError as exc:
        return {"request": request, "failure": f"not submitted: {exc}"}
    cost = round(catalog.price(spec, request.duration_s, request.audio, state.resolution), 4)
    provider = ctx.providers(request.provider)
    key = request.idempotency_key(ctx.project.id)
    # Wait for a slot outside the spend lock, so a shot queued behind a busy account never
    # blocks another provider's submissions.
    await ctx.inflight.acquire(request.provider, key, provider.max_concurrency)
    outcome = await _submit_once(ctx, request, provider, key, cost, state.budget_usd, members)
    if "task" not in outcome:
        if "take" in outcome:
            emit(runtime, {"event": "refused", "shot": shot, "attempt": attempt})
        await ctx.inflight.release(request.provider, key)
        return outcome
    ref = outcome["task"]
    event = {"event": "submitted", "shot": shot, "attempt": attempt, "task_id": ref.task_id}
    emit(runtime, {**event, "shots": members} if members else event)
    return outcome


async def _submit_once(
    ctx: RunContext,
    request: GenerationRequest,
    provider: VideoProvider,
    key: str,
    cost: float,
    cap: float | None,
    members: list[int],
) -> dict:
    shot, attempt = request.shot_index, request.attempt
    async with ctx.spend_lock:
        # One read of the ledger for every check below (it is parsed whole each time).
        entries = await asyncio.to_thread(ctx.ledger.entries)
        entry = next((e for e in entries if e.key == ("submit", shot, attempt)), None)
        if entry is not None and "task" in entry.data:
            if bool(entry.data.get("members")) != bool(members):
                # Never poll a group's clip as one shot's take, nor the reverse.
                paid = "a multi-shot group" if entry.data.get("members") else "a single shot"
                return {"request": request, "failure": f"take {attempt} of shot {shot + 1} "
                        f"was already paid for as {paid}; not submitting it again"}
            return {"request": request, "task": TaskRef.model_validate(entry.data["task"])}
        spent = spent_of(entries) + sum(ctx.reserved_usd.values())
        if entry is not None:
            # An earlier try of this very take whose fate was unknown: its cost is already
            # counted, and this submission (same idempotency key) replaces that entry.
            spent -= entry.cost_usd
        if cap is not None and spent + cost > cap + 1e-9:
            return {
                "request": request,
                "failure": f"budget: take {attempt} would cost ${cost:.2f}, "
                f"${spent:.2f} of the ${cap:.2f} cap is spent or committed",
            }
        kept, waiting = 0.0, 0
        if cap is not None and attempt > 1:
            plan = await asyncio.to_thread(_saved_plan, ctx)
            kept, waiting = _first_takes_waiting(plan, shot, entries, ctx.reserved_usd)
        if cap is not None and spent + kept + cost > cap + 1e-9:
            # Every shot gets its first take before any shot's retake: a complete cut with
            # one weak shot beats a polished shot and a missing one.
            return {
                "request": request,
                "failure": f"budget: retake {attempt} would cost ${cost:.2f}; "
                f"${spent:.2f} of the ${cap:.2f} cap is spent or committed and ${kept:.2f} is "
                f"kept for the first takes of {waiting} shot(s) still to render",
            }
        # Reserve the cost, then call the service outside the lock: a slow or retrying
        # submission must not hold up every other shot's.
        ctx.reserved_usd[key] = cost
    try:
        ref = await provider.submit(request, key)
    except DirectorError as exc:
        async with ctx.spend_lock:
            ctx.reserved_usd.pop(key, None)
        if isinstance(exc, ProviderError) and exc.policy:
            # A content refusal is a finding for the reviser, not the end of the shot.
            take = Take(
                shot_index=shot,
                attempt=attempt,
                request=request,
                submitted_at=time.time(),
                finished_at=time.time(),
                error=f"{request.provider} refused the content: {exc}",
                policy=True,
            )
            return {"request": request, "take": take}
        if isinstance(exc, ProviderError) and exc.maybe_created:
            # The service may have made (and will bill) this task: count it until a resume
            # submits the same take again and its idempotency key settles what happened.
            async with ctx.spend_lock:
                await asyncio.to_thread(ctx.ledger.append, LedgerEntry(
                    kind="submit", shot=shot, attempt=attempt, cost_usd=cost,
                    data={"model": request.model, "unconfirmed": True,
                          **({"members": members} if members else {})},
                ))
            return {"request": request, "failure": f"{request.provider} may have made take "
                    f"{attempt} (its cost is counted against the budget): {exc}"}
        refused = isinstance(exc, ProviderError)
        reason = f"{request.provider} refused take {attempt}: {exc}" if refused else str(exc)
        return {"request": request, "failure": reason}
    async with ctx.spend_lock:
        ctx.reserved_usd.pop(key, None)
        # fsynced off the event loop (the lock still orders it before the next check).
        await asyncio.to_thread(
            ctx.ledger.append,
            LedgerEntry(
                kind="submit",
                shot=shot,
                attempt=attempt,
                cost_usd=cost,
                data={"model": request.model, "task": ref.model_dump(),
                      **({"members": members} if members else {})},
            )
        )
    return {"request": request, "task": ref}


def _saved_plan(ctx: RunContext) -> Plan | None:
    path = ctx.project.plan_path
    return Plan.model_validate_json(path.read_text(encoding="utf-8")) if path.exists() else None


def _first_takes_waiting(plan: Plan | None, shot: int, entries: list[LedgerEntry],
                         reserved: dict[str, float]) -> tuple[float, int]:
    """The plan's price of a first take of every other shot that has not been submitted yet
    (nor failed before submitting), and how many there are."""
    if plan is None:
        return 0.0, 0
    started = {shot}
    for entry in entries:
        if entry.kind in ("submit", "failed"):
            started.add(entry.shot)
            started.update(int(m) for m in entry.data.get("members", []))
    # Submissions in progress hold a reservation and are counted in the spend already; a
    # group's reservation is under its lead's key and pays for every member.
    for key in reserved:
        if (parts := parse_take_key(key)) is not None:
            started.add(parts.shot)
            started.update(s.index for s in plan.group_of(parts.shot))
    waiting = [s for s in plan.shots if s.index not in started]
    return round(sum(s.estimate_usd for s in waiting), 4), len(waiting)


async def _first_frame(ctx: RunContext, state: ShotState) -> str:
    """The first frame of an image-to-video clip: the previous clip's last frame for a
    continuous shot whose predecessor was accepted, else the shot's keyframe, if any."""
    if not state.chain_video:
        keyframe = state.planned.keyframe
        return str((ctx.project.root / keyframe).resolve()) if keyframe else ""
    dest = ctx.project.stills_dir / f"chain{state.planned.index:02d}_first.png"
    if not dest.exists():
        await asyncio.to_thread(last_frame, ctx.project.root / state.chain_video, dest)
    return str(dest.resolve())
