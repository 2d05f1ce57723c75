"""The Session every door drives: commands against a project folder, read back from disk."""

from __future__ import annotations

import asyncio
import subprocess
import threading
from pathlib import Path
from typing import Any

import av
from conftest import director_cmd

from director.agent.brains.rules import RulesBrain
from director.briefs import parse_text_brief
from director.commands import ConverseContext, ConverseReply, EditShot, Render, Revise, Takes
from director.config import Settings
from director.film import Bible, GenerationRequest, PromptSpec, Shot
from director.ledger import Ledger
from director.project import Project
from director.tools.providers.animatic import AnimaticProvider
from director.ui.runner import make_context, run_project
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


class ScriptedBrain(RulesBrain):
    """The rules brain, with scripted converse proposals and a record of where `write` ran."""

    def __init__(self) -> None:
        super().__init__()
        self.proposals: list[Any] = []
        self.write_threads: list[threading.Thread] = []

    def write(self, shot: Shot, bible: Bible) -> PromptSpec:
        self.write_threads.append(threading.current_thread())
        return super().write(shot, bible)

    def converse(self, message: str, context: ConverseContext) -> ConverseReply:
        if not self.proposals:
            return super().converse(message, context)
        return ConverseReply(reply="Proposals:", commands=self.proposals)


class FlakyProvider:
    """The animatic renderer, except that submitting a shot in `broken` raises a bug-like error."""

    def __init__(self, work_dir: Path) -> None:
        self.inner = AnimaticProvider(work_dir)
        self.broken: set[int] = set()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def submit(self, request: GenerationRequest, key: str) -> Any:
        if request.shot_index in self.broken:
            raise RuntimeError("the service's client crashed")
        return await self.inner.submit(request, key)


def test_new_edit_approve_revise_pick_export(tmp_path: Path) -> None:
    events: list[dict] = []
    brain, provider = ScriptedBrain(), FlakyProvider(tmp_path / "tasks")
    session = Session(Settings(), projects_dir=tmp_path, on_event=events.append, brain=brain,
                      providers=lambda name: provider)

    async def flow() -> None:
        reply = await session.handle(f"/new {TWO_SHOTS}")
        assert reply.ok and reply.view is not None and reply.view.stage == "awaiting_approval"
        assert len(reply.view.shots) == 2 and not list(session.project.takes_dir.glob("*.mp4"))
        before = reply.view.shots[1]

        brain.write_threads.clear()
        edit = await session.handle("/edit shot 2 kelvin +1500")
        assert edit.ok, edit.text
        after = edit.view.shots[1]
        assert after.kelvin == before.kelvin + 1500 and f"{after.kelvin}K" in after.prompt
        assert not after.lint and edit.view.stage == "awaiting_approval"
        # The brain (an LLM call, for the LLM brain) wrote off the event loop's thread.
        assert brain.write_threads and threading.main_thread() not in brain.write_threads
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

        # A crash on shot 2 of a two-shot render keeps shot 1's new take, and says so in a line.
        provider.broken = {1}
        crashed = await session.handle("/render 1,2")
        assert not crashed.ok and crashed.view.stage == "done", crashed.text
        assert "Shot 2: no take (RuntimeError: the service's client crashed)" in crashed.text
        assert "Shot 1 take 2 (seed:" in crashed.text  # a new take of shot 1, in the cut
        assert [t.take for t in crashed.view.shots[0].takes] == [1, 2]
        provider.broken = set()

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
        # A brain's proposal that cannot run is dropped with the reason, never a traceback.
        brain.proposals = [Revise(shot=1, variable="camera", value=view.shots[0].move),
                           Revise(shot=9, variable="seed", value="4"), Takes(shot=2),
                           Render(shots=[1])]
        talk = await session.handle("try something else on the first shot")
        assert talk.ok and talk.pending == [Render(shots=[1])], talk.text
        assert "changes nothing" in talk.text and "no shot 9" in talk.text
        assert "Shot 2 takes" in talk.text
        brain.proposals = []

        picked = await session.handle("/pick 2 1")
        assert picked.ok, picked.text
        assert [t.in_cut for t in picked.view.shots[1].takes] == [True, False]
        missing = await session.handle("/pick 2 9")
        assert not missing.ok and "no take 9" in missing.text
        assert "Nothing is waiting" in (await session.handle("yes")).text  # moved on from it

        exported = await session.handle("/export")
        assert exported.ok and set(exported.files) == {
            session.project.final_path, session.project.report_path}
        total = sum(s.duration_s for s in exported.view.shots)
        assert abs(frames(session.project.final_path) / 24 - total) < 0.2

    run(flow())


def test_commands_before_a_project_and_hostile_input_get_one_line(tmp_path: Path) -> None:
    session = Session(Settings(), projects_dir=tmp_path)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "plan.json").write_text("{}")
    (broken / "state.sqlite").write_bytes(b"not a database" * 50)

    async def flow() -> None:
        for line in ("/approve", "/render", "/render 2 --tier final", "/revise 1 seed 5",
                     "/takes 1", "/pick 1 1", "/cut", "/export", "/budget 5", "/plan"):
            reply = await session.handle(line)
            assert not reply.ok and not reply.pending, line
            assert reply.text == "no project yet; start one with /new <brief>", line
        for line, words in (("/pick 1 0", "take: Input should be greater than or equal to 1"),
                            ("/budget -5", "is not an amount"), ("/budget abc", "not an amount"),
                            ("/edit shot -1 kelvin 3", "N must be a whole number"),
                            ("/render 99999", "shots.0: Input should be less than"),
                            ("/edit shot 1 action \x00", "usage: /edit")):
            reply = await session.handle(line)
            assert not reply.ok and words in reply.text and "\n" not in reply.text, line
        empty = await session.handle("  ")
        assert not empty.ok and empty.text.startswith("Commands")
        assert "Nothing is waiting" in (await session.handle("yes")).text
        assert not session.pending and not list(tmp_path.glob("*/takes/*.mp4"))
        opened = Session.open(broken, Settings())
        for line in ("/status", "/approve", "make it warmer"):
            reply = await opened.handle(line)
            assert not reply.ok and reply.text.startswith("cannot read"), line

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
        unnamed = await session.handle("make it warmer")  # two shots: which one?
        assert not unnamed.pending and "Which shot" in unnamed.text
        unclear = await session.handle("hmm, not sure about this")
        assert not unclear.pending and "/edit shot N" in unclear.text

    run(flow())


def test_session_and_director_resume_share_projects(tmp_path: Path) -> None:
    session = run(Session.create(ONE_SHOT, tmp_path / "a", Settings()))
    root = session.project.root
    assert run(session.handle("/edit shot 1 kelvin 3000")).ok
    resumed = subprocess.run([*director_cmd(), "resume", str(root), "--yes"],
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    view = run(session.view())
    assert view.stage == "done" and view.cut and (root / "final.mp4").is_file()
    assert view.shots[0].kelvin == 3000 and view.shots[0].takes[0].in_cut

    # A project started by the runner (`director run` without --yes) opens in a session.
    out = Project(tmp_path / "b")
    brief = parse_text_brief(TWO_SHOTS, source="brief")
    started = run(run_project(out, make_context(out, Settings(), auto_approve=False),
                              brief=brief))
    assert started.status == "awaiting_approval"
    other = Session.open(out.root, Settings())
    shots = run(other.handle("/shots"))
    assert shots.ok and shots.view.stage == "awaiting_approval" and len(shots.view.shots) == 2
