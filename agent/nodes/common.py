"""Small helpers shared by nodes: effective settings and progress events."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from director.agent.context import RunContext
from director.film import Brief
from director.plan import Plan
from director.project import atomic_write_text


def effective_tier(ctx: RunContext, brief: Brief) -> str:
    return ctx.tier_override or brief.tier


def effective_provider(ctx: RunContext) -> str:
    return ctx.provider_override or ctx.settings.provider


def budget_cap(ctx: RunContext, brief: Brief) -> float | None:
    return brief.budget_usd if brief.budget_usd is not None else ctx.settings.budget_usd


def save_plan(ctx: RunContext, plan: Plan) -> None:
    """plan.json is rewritten whole and atomically whenever the plan changes."""
    atomic_write_text(ctx.project.plan_path, plan.model_dump_json(indent=2))


def emit(runtime: Runtime[RunContext], event: dict[str, Any]) -> None:
    """Send a progress event to the stream (front doors render it) and the optional sink."""
    if runtime.stream_writer is not None:
        runtime.stream_writer(event)
    if runtime.context.on_event is not None:
        runtime.context.on_event(event)
