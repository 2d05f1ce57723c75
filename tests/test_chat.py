"""The chat page over its real HTTP API (gradio_client), on a loopback port.

Renders run on the local animatic behind a priced route, so the money question, the confirm
button and the budget meter are exercised for real without leaving 127.0.0.1.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fakes.priced import priced_animatic
from gradio_client import Client

from director.config import Settings
from director.ledger import Ledger
from director.ui import chat_view
from director.ui.chat import TRANSCRIPT, launch_kwargs, make_chat_app
from director.ui.chat_view import Steps
from director.ui.views import ProjectView, ShotRow

BRIEF = "A 10 second ad: a baker at dawn pulls bread from the oven, warm tungsten light, 16:9"
CHAT, PICKER, METER, BOARD, SHOTS = 0, 1, 2, 3, 4
CUT_VIDEO, CUT_INFO = 7, 8


@pytest.fixture
def page(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    projects = tmp_path / "projects"
    demo = make_chat_app(Settings(provider="kling"), projects_dir=projects,
                         session_kw={"providers": priced_animatic(tmp_path / "tasks")})
    kwargs = launch_kwargs(projects)
    assert kwargs["server_name"] == "127.0.0.1" and not kwargs["share"] and not kwargs["auth"]
    _, url, _ = demo.launch(prevent_thread_lock=True, **kwargs)
    try:
        yield url, projects
    finally:
        demo.close()


def _texts(history: list[dict]) -> str:
    parts = []
    for m in history:
        for block in m["content"] if isinstance(m["content"], list) else [m["content"]]:
            if isinstance(block, dict) and "text" in block:
                parts.append(block["text"])
            elif isinstance(block, str):
                parts.append(block)
    return "\n".join(parts)


def _files(history: list[dict]) -> list[str]:
    return [b["file"] for m in history for b in m["content"]
            if isinstance(b, dict) and b.get("type") == "file"]


def test_a_whole_brief_from_chat_to_cut(page: tuple[str, Path]) -> None:
    url, projects = page
    client = Client(url, verbose=False)
    planned = client.predict(BRIEF, None, api_name="/send")
    name = planned[PICKER]["value"]
    root = projects / name
    assert (root / "plan.json").exists()
    assert any(f.endswith("storyboard.png") for f in _files(planned[CHAT]))
    assert "awaiting approval" in planned[METER]
    assert planned[BOARD].count('class="vd-card"') == len(planned[SHOTS]["value"]["data"])
    steps = [m for m in planned[CHAT] if m.get("metadata") and m["metadata"].get("title")]
    assert steps and steps[0]["metadata"]["title"] == "Planning"

    table = planned[SHOTS]["value"]
    table["data"][0][7] = 5600  # kelvin of shot 1, edited in the table
    edited = client.predict(name, table, api_name="/edit")
    assert "Shot 1: kelvin → 5600" in _texts(edited[CHAT])
    plan = json.loads((root / "plan.json").read_text())
    assert "5600K" in plan["shots"][0]["prompt"]

    asked = client.predict(name, api_name="/approve")
    assert "Waiting for your yes" in _texts(asked[CHAT][-1:])
    assert "about $0.42" in _texts(asked[CHAT][-1:])
    assert Ledger(root / "ledger.jsonl").spent_usd() == 0  # nothing paid before the yes

    done = client.predict(name, api_name="/confirm")
    assert (root / "final.mp4").is_file()
    video = done[CUT_VIDEO]
    video = video["video"] if isinstance(video, dict) else video
    assert Path(video).name == "final.mp4" and Path(video).stat().st_size > 0
    assert "Final cut" in done[CUT_INFO] and "report.html" in done[CUT_INFO]
    shot_steps = [m["metadata"] for m in done[CHAT]
                  if (m.get("metadata") or {}).get("title", "").startswith("Shot ")]
    assert shot_steps and all(s["status"] == "done" for s in shot_steps)
    spent = Ledger(root / "ledger.jsonl").spent_usd()
    assert spent >= 0.42 and f"${spent:.2f}" in done[METER]

    # A reload (a new browser session) finds the project and its conversation on disk.
    again = Client(url, verbose=False).predict(api_name="/load")
    assert again[PICKER]["value"] == name
    assert "Waiting for your yes" in _texts(again[CHAT])
    assert (root / TRANSCRIPT).exists()


def test_files_are_served_only_from_the_projects_folder(
    page: tuple[str, Path], tmp_path: Path
) -> None:
    url, projects = page
    inside = projects / "note.txt"
    inside.write_text("inside")
    outside = tmp_path / "secret.txt"
    outside.write_text("outside")
    ok = httpx.get(f"{url}gradio_api/file={inside}", timeout=10)
    assert ok.status_code == 200 and ok.text == "inside"
    refused = httpx.get(f"{url}gradio_api/file={outside}", timeout=10)
    assert refused.status_code in (403, 404) and "outside" not in refused.text


def test_unknown_project_names_are_ignored(page: tuple[str, Path]) -> None:
    url, _ = page
    out = Client(url, verbose=False).predict("../../etc", api_name="/open")
    assert out[PICKER]["value"] is None and "No project open" in out[METER]


def _row(number: int, **kw: object) -> ShotRow:
    base = dict(number=number, duration_s=5.0, subject="a baker", action="lifts the tray",
                move="static", size="medium", lens_mm=85, kelvin=3200, light_side="left",
                model="animatic", estimate_usd=0.0, prompt="p")
    return ShotRow(**{**base, **kw})  # type: ignore[arg-type]


def test_table_edits_become_one_edit_command_per_changed_cell() -> None:
    view = ProjectView(project="/x", shots=[_row(1), _row(2)])
    rows = chat_view.shot_rows(view)
    rows[0][7] = "4300"
    rows[1][4] = "push_in"
    rows[1][1] = "5"  # same number written differently: no edit
    rows[1][9] = "kling-v3"  # model is not an editable column
    assert chat_view.edits(view, rows) == ["/edit shot 1 kelvin 4300",
                                           "/edit shot 2 move push_in"]


def test_graph_events_become_collapsible_steps() -> None:
    history: list[dict] = []
    steps = Steps(history)
    steps.add({"event": "planned", "shots": 2})
    steps.add({"event": "submitted", "shot": 1, "attempt": 1})
    steps.add({"event": "accepted", "shot": 1, "attempt": 1})
    steps.add({"event": "submitted", "shot": 0, "attempt": 1})
    assert [m["metadata"]["title"] for m in history] == ["Planning", "Shot 2", "Shot 1"]
    assert history[1]["metadata"]["status"] == "done"
    assert history[2]["metadata"]["status"] == "pending"
    steps.finish()
    assert all(m["metadata"]["status"] == "done" for m in history)
