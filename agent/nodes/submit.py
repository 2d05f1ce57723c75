"""submit: start the paid task for the current attempt and record it before anything waits.

The ledger is written inside the spend lock together with the budget check, and read back
first: a replayed submit (crash after the provider answered) reuses the recorded task
instead of paying again.
"""

from __future__ import annotations

from langgraph.runtime import Runtime

from director.agent.context import RunContext
from director.agent.nodes.common import emit
from director.agent.requests import first_request
from director.agent.state import ShotState
from director.errors import DirectorError, ProviderError
from director.film import TaskRef
from director.ledger import LedgerEntry
from director.tools import catalog


async def submit(state: ShotState, runtime: Runtime[RunContext]) -> dict:
    ctx = runtime.context
    request = state.request or first_request(
        state.planned,
        aspect_ratio=state.aspect_ratio,
        resolution=state.resolution,
        audio=state.audio,
    )
    shot, attempt = request.shot_index, request.attempt
    spec = catalog.get(request.model)
    cost = round(catalog.price(spec, request.duration_s, request.audio, state.resolution), 4)
    async with ctx.spend_lock:
        recorded = _recorded_task(ctx, shot, attempt)
        if recorded is not None:
            return {"request": request, "task": recorded}
        cap = state.budget_usd
        spent = ctx.ledger.spent_usd()
        if cap is not None and spent + cost > cap + 1e-9:
            return {
                "request": request,
                "failure": f"budget: take {attempt} would cost ${cost:.2f}, "
                f"${spent:.2f} of the ${cap:.2f} cap is spent",
            }
        provider = ctx.providers(request.provider)
        try:
            ref = await provider.submit(request, request.idempotency_key(ctx.project.id))
        except ProviderError as exc:
            return {
                "request": request,
                "failure": f"{request.provider} refused take {attempt}: {exc}",
            }
        except DirectorError as exc:
            return {"request": request, "failure": str(exc)}
        ctx.ledger.append(
            LedgerEntry(
                kind="submit",
                shot=shot,
                attempt=attempt,
                cost_usd=cost,
                data={"model": request.model, "task": ref.model_dump()},
            )
        )
    emit(runtime, {"event": "submitted", "shot": shot, "attempt": attempt, "task_id": ref.task_id})
    return {"request": request, "task": ref}


def _recorded_task(ctx: RunContext, shot: int, attempt: int) -> TaskRef | None:
    entry = ctx.ledger.find("submit", shot, attempt)
    if entry is None or "task" not in entry.data:
        return None
    return TaskRef.model_validate(entry.data["task"])
