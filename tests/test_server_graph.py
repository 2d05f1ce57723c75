"""The LangGraph Server entry point: langgraph.json names a factory whose graph runs with the
plain JSON context a server run request carries."""

from __future__ import annotations

import asyncio
import importlib.util
import json
from pathlib import Path

import pytest
from conftest import REPO
from langgraph.graph.state import CompiledStateGraph
from server_runs import on_the_server, plan_then_approve

from director.agent.server import ServerContext
from director.errors import UsageError


def _entry_points() -> dict[str, object]:
    """Each graph langgraph.json names, loaded the way the server loads it: from the file."""
    config = json.loads((REPO / "langgraph.json").read_text())
    assert config["dependencies"] == ["."] and (REPO / "pyproject.toml").exists()
    found = {}
    for name, spec in config["graphs"].items():
        path, attr = spec.rsplit(":", 1)
        module_spec = importlib.util.spec_from_file_location(f"lg_{name}", REPO / path)
        assert module_spec is not None and module_spec.loader is not None
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
        found[name] = getattr(module, attr)
    return found


def test_langgraph_json_names_a_factory_of_the_director_graph() -> None:
    graphs = _entry_points()
    assert list(graphs) == ["director"]
    graph = graphs["director"]()  # type: ignore[operator]
    assert isinstance(graph, CompiledStateGraph) and graph.checkpointer is None
    assert {"plan", "gate", "shot", "assemble"} <= set(graph.nodes)
    # The context schema the server publishes is the request's JSON, no clients in it.
    schema = graph.get_context_jsonschema()
    assert schema is not None and schema["required"] == ["project"]
    assert set(schema["properties"]) == {"project", "provider", "tier", "brain", "auto_approve"}


def test_a_server_run_with_json_context_plans_waits_and_renders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    graph = on_the_server(
        _entry_points()["director"](),  # type: ignore[operator]
        monkeypatch, tmp_path / "projects", "wrong_direction=0,no_motion=0,frozen=0,black=0",
    )
    context = {"project": "Paper boat", "provider": "sim"}
    brief = {"title": "Paper boat", "target_duration_s": 4,
             "text": "a paper boat drifting down a flooded gutter after rain"}
    waiting, done = asyncio.run(plan_then_approve(graph, brief, context, "thread-from-the-server"))
    assert waiting.next == ("gate",) and waiting.interrupts[0].value["shots"]
    assert not done.next and done.values["cut"] is not None
    folder = tmp_path / "projects" / "paper-boat"
    assert (folder / "final.mp4").stat().st_size > 0
    assert {t.request.provider for r in done.values["results"].values() for t in r.takes} == {"sim"}


def test_server_context_confines_projects_and_checks_its_fields(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIRECTOR_PROJECTS_DIR", str(tmp_path / "projects"))
    ctx = ServerContext(project="../../etc/passwd", auto_approve=True)
    assert ctx.project.root.parent == tmp_path / "projects" and ctx.auto_approve
    assert ctx.brain.name and callable(ctx.providers)
    with pytest.raises(UsageError, match="tier"):
        ServerContext(project="x", tier="cinematic")
    with pytest.raises(UsageError, match="provider 'nope' is not a backend"):
        ServerContext(project="x", provider="nope")
    with pytest.raises(UsageError, match="project: Field required"):
        ServerContext(tier="draft")
    with pytest.raises(UsageError, match="api_key") as refused:
        ServerContext(project="x", api_key="sk-should-not-be-accepted")
    assert "sk-should" not in str(refused.value)
