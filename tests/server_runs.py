"""A run the way LangGraph Server drives the director graph: the server's own checkpointer on
the factory's graph, a JSON brief and context, and approval by resuming the thread."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command, StateSnapshot

from director.agent.checkpoint import serializer


def on_the_server(
    graph: CompiledStateGraph, monkeypatch: pytest.MonkeyPatch, projects: Path, faults: str
) -> CompiledStateGraph:
    """`graph` with a checkpointer attached as the server attaches its own, its projects in
    `projects`, sim renders at once with `faults` (DIRECTOR_SIM_FAULTS)."""
    monkeypatch.setenv("DIRECTOR_PROJECTS_DIR", str(projects))
    monkeypatch.setenv("DIRECTOR_SIM_LATENCY_SCALE", "0")
    monkeypatch.setenv("DIRECTOR_SIM_FAULTS", faults)
    return graph.copy({"checkpointer": InMemorySaver(serde=serializer())})


async def plan_then_approve(
    graph: CompiledStateGraph, brief: dict[str, Any], context: dict[str, Any], thread: str
) -> tuple[StateSnapshot, StateSnapshot]:
    """The thread's state at the approval gate, and after resuming it with an approval."""
    config = {"configurable": {"thread_id": thread}}
    async for _ in graph.astream({"brief": brief}, config, context=context):
        pass
    waiting = await graph.aget_state(config)
    async for _ in graph.astream(Command(resume=True), config, context=context):
        pass
    return waiting, await graph.aget_state(config)
