"""poll: wait on the recorded task, then download the clip into the project folder.

A restarted run lands here with the same TaskRef from the checkpoint, so it waits on the
task already paid for.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from langgraph.runtime import Runtime

from director.agent.context import RunContext
from director.agent.nodes.common import emit
from director.agent.state import ShotState
from director.errors import DirectorError, ProviderError
from director.film import GenerationRequest, Take, TaskStatus

POLL_TIMEOUT_S = 30 * 60
DOWNLOAD_TRIES = 4
"""Downloads of a finished clip before the take is given up (each after a fresh poll)."""


async def poll(state: ShotState, runtime: Runtime[RunContext]) -> dict:
    ctx = runtime.context
    request, ref = state.request, state.task
    assert request is not None and ref is not None
    key = request.idempotency_key(ctx.project.id)
    # A resumed run arrives here without passing submit: count its task as running.
    # Slots are counted under the routed provider name, as submit took them.
    await ctx.inflight.hold(request.provider, key)
    try:
        return await _wait(state, runtime)
    finally:
        await ctx.inflight.release(request.provider, key)


async def _wait(state: ShotState, runtime: Runtime[RunContext]) -> dict:
    ctx = runtime.context
    request, ref = state.request, state.task
    assert request is not None and ref is not None
    provider = ctx.providers(ref.provider)
    interval = ctx.settings.poll_interval_s or provider.poll_interval_s
    take = Take(
        shot_index=request.shot_index,
        attempt=request.attempt,
        request=request,
        task=ref,
        submitted_at=ref.submitted_at,
        cost_usd=await asyncio.to_thread(_cost, ctx, request.shot_index, request.attempt),
    )

    def ended(**update: object) -> dict:
        return {"take": take.model_copy(update={"finished_at": time.time(), **update})}

    deadline = time.monotonic() + POLL_TIMEOUT_S
    last_error = ""
    downloads = 0
    while time.monotonic() < deadline:
        try:
            status: TaskStatus = await provider.poll(ref)
        except ProviderError as exc:
            if not exc.retryable:
                return ended(error=str(exc))
            last_error = f" (last poll error: {exc})"
            await asyncio.sleep(interval)
            continue
        if status.state == "failed":
            error = status.error or "the provider reported the task failed"
            return ended(error=error, policy=status.policy)
        if status.state == "succeeded":
            dest = clip_path(ctx, request)
            try:
                await provider.download(ref, status, dest)
            except DirectorError as exc:
                downloads += 1
                retry = isinstance(exc, ProviderError) and exc.retryable
                if not retry or downloads >= DOWNLOAD_TRIES:
                    return ended(error=f"download failed: {exc}")
                # The clip is paid for and still on the service: poll again for a fresh link.
                last_error = f" (last download error: {exc})"
                await asyncio.sleep(interval)
                continue
            emit(
                runtime,
                {"event": "rendered", "shot": request.shot_index, "attempt": request.attempt},
            )
            return ended(video_path=str(dest.relative_to(ctx.project.root)))
        await asyncio.sleep(interval)
    return ended(error=f"task {ref.task_id} still running after {POLL_TIMEOUT_S} s{last_error}")


def _cost(ctx: RunContext, shot: int, attempt: int) -> float:
    entry = ctx.ledger.find("submit", shot, attempt)
    return entry.cost_usd if entry is not None else 0.0


def clip_path(ctx: RunContext, request: GenerationRequest) -> Path:
    """Where the clip goes: the take's file, or for a multi-shot group a file of its own that
    is cut into the members' take files afterwards."""
    if request.multi_prompt:
        return ctx.project.takes_dir / f"shot{request.shot_index:02d}_group{request.attempt}.mp4"
    return ctx.project.take_path(request.shot_index, request.attempt)
