"""Nothing of ours blocks the event loop during a run.

Runs share one event loop wherever many projects run in one process: the chat page, the Slack
door, LangGraph Server (whose `langgraph dev` refuses a run that makes a blocking call on the
loop). Disk writes with fsync, ledger reads, image drawing and clip checks all go to threads.
blockbuster patches the blocking calls of the standard library and reports each one made while
an event loop is running in this thread.
"""

from __future__ import annotations

import asyncio
import inspect
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import pytest
from blockbuster import BlockBuster
from conftest import REPO
from server_runs import on_the_server, plan_then_approve

from director.agent.server import make_graph

OURS = tuple(str(REPO / folder) for folder in ("agent", "tools", "prompts", "ui", "director"))


def _our_call(allowed_in: list[tuple[str, Iterable[str]]]) -> str | None:
    """Where our code made the call: the innermost frame of ours and the coroutine it ran in.
    None when blockbuster itself allows the call there (a thread pool taking its own lock),
    or while a module is being imported (once per process, never on a path a test can pin)."""
    frame = inspect.currentframe()
    inner = outer = None
    while frame is not None:
        code = frame.f_code
        if code.co_filename.startswith("<frozen importlib"):
            return None
        if any(code.co_filename.endswith(f) and code.co_name in names for f, names in allowed_in):
            return None
        if code.co_filename.startswith(OURS):
            here = f"{Path(code.co_filename).relative_to(REPO)}:{frame.f_lineno} {code.co_name}"
            inner = inner or here
            if outer is None and code.co_flags & inspect.CO_COROUTINE:
                outer = here
        frame = frame.f_back
    if inner is None:
        return None
    return inner if outer in (None, inner) else f"{inner} <- {outer}"


def _recording(blockbuster: BlockBuster, seen: Counter[str]) -> None:
    """Record instead of raising, so one run lists every blocking call at once."""
    for name, function in blockbuster.functions.items():
        allowed = function.can_block_predicate
        allowed_in = function.can_block_functions

        def predicate(*args: object, _name: str = name, _allowed=allowed, _in=allowed_in,
                      **kwargs: object) -> bool:
            if not _allowed(*args, **kwargs) and (site := _our_call(_in)):
                seen[f"{_name} at {site}"] += 1
            return True

        function.can_block_predicate = predicate


def test_a_server_run_makes_no_blocking_call_on_the_event_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One retake at least, under a budget cap: the reviser, the ledger's revision entries and
    # the cap's check of the first takes still to come run too.
    graph = on_the_server(make_graph(), monkeypatch, tmp_path / "projects", "frozen=0.5")
    context = {"project": "Paper boat", "provider": "sim"}
    brief = {"title": "Paper boat", "target_duration_s": 8, "budget_usd": 50,
             "text": "a girl in a yellow raincoat chases a paper boat down a flooded gutter"}
    seen: Counter[str] = Counter()
    blockbuster = BlockBuster()
    _recording(blockbuster, seen)
    blockbuster.activate()
    try:
        _, done = asyncio.run(plan_then_approve(graph, brief, context, "loop"))
    finally:
        blockbuster.deactivate()
    assert done.values["cut"] is not None  # type: ignore[attr-defined]
    assert any(len(r.takes) > 1 for r in done.values["results"].values())  # type: ignore[attr-defined]
    assert not seen, "blocking calls on the event loop:\n" + "\n".join(
        f"{n:4d}  {site}" for site, n in seen.most_common()
    )
