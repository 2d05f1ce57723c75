"""The Session every door drives: commands against a project folder, read back from disk."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path
from typing import Any

import av
from conftest import director_cmd

from director.commands import EditShot, Render
from director.config import Settings
from director.ledger import Ledger
from director.tools.providers.animatic import AnimaticProvider
from director.ui.session import Session

TWO_SHOTS = (
    "a paper boat drifting down a flooded gutter after rain, then a child picks it up, 8 seconds"
)
ONE_SHOT = "a paper boat drifting down a flooded gutter after rain, 4 seconds"


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def frames(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


def test_new_edit_approve_revise_pick_export(tmp_path: Path) -> None:
    events: list[dict] = []
    session = Session(Settings(), projects_dir=tmp_path, on_event=events.append)

    async def flow() -> None:
        reply = await session.handle(f"/new {TWO_SHOTS}")
        assert reply.ok and reply.view is not None and reply.view.stage == "awaiting_approval"
        assert len(reply.view.shots) == 2 and not list(session.project.takes_dir.glob("*.mp4"))
        before = reply.view.shots[1]

        edit = await session.handle("/edit shot 2 kelvin +1500")
        assert edit.ok, edit.text
        after = edit.view.shots[1]
        assert after.kelvin == before.kelvin + 1500 and f"{after.kelvin}K" in after.prompt
        assert not after.lint and edit.view.stage == "awaiting_approval"
        bad = await session.handle("/edit shot 2 kelvin 99999")
        assert not bad.ok and "kelvin must be between" in bad.text
        assert (await session.view()).shots[1].kelvin == after.kelvin

        approved = await session.handle("/approve")  # the animatic is free: nothing to confirm
        assert approved.ok and not approved.pending, approved.text
        view = approved.view
        assert view.stage == "done" and view.cut == "final.mp4"
        assert session.project.final_path in approved.files
        assert {e["event"] for e in events} >= {"submitted", "accepted", "cut"}
        late_edit = await session.handle("/edit shot 1 move pan_left")
        assert not late_edit.ok and "not now" in late_edit.text

        revised = await session.handle("/revise 2 lighting 7000")
        assert revised.ok, revised.text
        takes = revised.view.shots[1].takes
        assert [t.take for t in takes] == [1, 2] and takes[1].in_cut and not takes[0].in_cut
        assert takes[1].revision.startswith("lighting:") and "7000K" in takes[1].revision
        entry = Ledger(session.project.ledger_path).find("revision", 1, 2)
        assert entry is not None and entry.data["variable"] == "lighting"
        assert "7000K" in entry.data["after"] and "7000K" not in entry.data["before"]

        same = await session.handle(f"/revise 1 camera {view.shots[0].move}")
        assert not same.ok and "changes nothing" in same.text

        picked = await session.handle("/pick 2 1")
        assert picked.ok, picked.text
        assert [t.in_cut for t in picked.view.shots[1].takes] == [True, False]
        missing = await session.handle("/pick 2 9")
        assert not missing.ok and "no take 9" in missing.text

        exported = await session.handle("/export")
        assert exported.ok and set(exported.files) == {
            session.project.final_path, session.project.report_path}
        total = sum(s.duration_s for s in exported.view.shots)
        assert abs(frames(session.project.final_path) / 24 - total) < 0.2

    run(flow())


def test_paid_commands_wait_for_yes(tmp_path: Path) -> None:
    """Priced models (rendered offline by the animatic) make approve ask before spending."""
    provider = AnimaticProvider(tmp_path / "tasks")
    session = Session(Settings(), projects_dir=tmp_path, provider="kling",
                      providers=lambda name: provider)

    async def flow() -> None:
        await session.handle("/new a lighthouse beam sweeping over a night sea, 5 seconds")
        ledger = Ledger(session.project.ledger_path)
        ask = await session.handle("/approve")
        assert ask.ok and [c.name for c in ask.pending] == ["approve"]
        assert "$" in ask.text and ask.view.stage == "awaiting_approval"
        assert ledger.spent_usd() == 0 and not list(session.project.takes_dir.glob("*.mp4"))
        dropped = await session.handle("no")
        assert "Cancelled" in dropped.text and ledger.spent_usd() == 0
        await session.handle("/approve")
        done = await session.handle("yes")
        assert done.ok, done.text
        assert done.view.stage == "done" and ledger.spent_usd() > 0
        assert abs(ledger.spent_usd() - done.view.budget.estimate_usd) < 1e-6
        spent = ledger.spent_usd()
        again = await session.execute(Render(shots=[1]))
        assert again.pending == [Render(shots=[1])] and ledger.spent_usd() == spent
        confirmed = await session.execute(Render(shots=[1]), confirmed=True)
        assert confirmed.ok and ledger.spent_usd() > spent

    run(flow())


def test_free_words_become_one_variable_proposals(tmp_path: Path) -> None:
    session = Session(Settings(), projects_dir=tmp_path)

    async def flow() -> None:
        first = await session.handle(TWO_SHOTS)  # words with no project read as a brief
        assert [c.name for c in first.pending] == ["new"]
        planned = await session.handle("yes")
        assert planned.ok and planned.view.stage == "awaiting_approval"
        kelvin = planned.view.shots[1].kelvin
        reply = await session.handle("make the second shot feel colder and push in slowly")
        assert reply.pending == [
            EditShot(shot=2, field="kelvin", value=str(kelvin + 1500)),
            EditShot(shot=2, field="move", value="push_in"),
        ]
        assert (await session.view()).shots[1].kelvin == kelvin  # nothing applied yet
        applied = await session.handle("yes")
        assert applied.ok, applied.text
        shot = applied.view.shots[1]
        assert shot.kelvin == kelvin + 1500 and shot.move == "push_in"
        assert applied.view.shots[0].move == planned.view.shots[0].move
        money = await session.handle("how much have we spent")
        assert not money.pending and "spent $0.00" in money.text
        nowhere = await session.handle("make the ninth shot warmer")
        assert not nowhere.pending and "no shot 9" in nowhere.text
        unclear = await session.handle("hmm, not sure about this")
        assert not unclear.pending and "/edit shot N" in unclear.text

    run(flow())


def test_session_and_director_resume_share_projects(tmp_path: Path) -> None:
    session = run(Session.create(ONE_SHOT, tmp_path / "a", Settings()))
    root = session.project.root
    resumed = subprocess.run([*director_cmd(), "resume", str(root), "--yes"],
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    view = run(session.view())
    assert view.stage == "done" and view.cut and (root / "final.mp4").is_file()

    brief = tmp_path / "boat.md"
    brief.write_text(ONE_SHOT)
    out = tmp_path / "b"
    started = subprocess.run([*director_cmd(), "run", str(brief), "--out", str(out)],
                             capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert started.returncode == 0, started.stderr
    other = Session.open(out, Settings())
    assert run(other.view()).stage == "awaiting_approval"
    done = run(other.handle("/approve"))
    assert done.ok and done.view.stage == "done" and (out / "final.mp4").is_file()
