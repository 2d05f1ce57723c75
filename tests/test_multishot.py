"""Multi-shot: consecutive shots of one scene go to Kling 3.0 as one request with one segment per
shot, the clip is cut back into one take per shot, each inspected as its own shot, and a shot
whose segment fails is retaken alone."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from conftest import director_cmd
from fakes.kling_server import KlingFake, validate

from director.agent.grouping import group_shots
from director.agent.nodes.segments import cost_shares
from director.briefs import parse_text_brief
from director.config import Settings
from director.errors import DirectorError, ProviderError
from director.film import (
    Bible,
    Camera,
    Character,
    GenerationRequest,
    Lighting,
    ShotHints,
    ShotSegment,
)
from director.film import Shot as FilmShot
from director.ledger import Ledger
from director.plan import PlannedShot
from director.project import Project
from director.prompts import compose
from director.prompts.vocabulary import MOVE_PHRASES
from director.tools import catalog, edit
from director.tools.providers.sim import SimProvider, fault_log
from director.tools.providers.simrender import move_named, segment_requests
from director.tools.qc.probe import video_info
from director.ui.runner import make_context, run_project

MARKET = """A night market, 9 seconds.
1. A cook flips noodles in a wok.
2. A customer laughs at the counter.
3. The cook hands over a steaming bowl.
"""
PANS = """A night market, 9 seconds.
1. Pan left across a cook flipping noodles in a wok.
2. Pan left across a customer laughing at the counter.
3. Pan left as the cook hands over a steaming bowl.
"""
COOK = Character(name="Mei", age="50s", hair="grey hair in a low bun",
                 marks=["a burn scar on the left forearm", "a jade bangle on the right wrist"])
BIBLE = Bible(characters=[COOK])
NO_FAULTS = "wrong_direction=0,no_motion=0,frozen=0,black=0,cut=0,duration=0"


def planned(index: int, *, scene: int = 0, duration: float = 3.0, model: str = "kling-v3-pro",
            provider: str = "kling", chain_from: int | None = None) -> PlannedShot:
    shot = FilmShot(
        index=index, beat=f"beat {index}", scene=scene, duration_s=duration,
        subject="Mei at a street stall", characters=["Mei"], action="flips noodles in a wok",
        camera=Camera(move="push_in", focal_length_mm=85),
        lighting=Lighting(source="tungsten bulbs", direction="camera-left at 45°",
                          colour_temperature_k=3200),
        atmosphere="35mm film grain, steam in the air", continuous=chain_from is not None,
    )
    spec = compose.compose_spec(shot, BIBLE)
    return PlannedShot(index=index, duration_s=duration, model=model, provider=provider,
                       prompt=compose.render(spec, "kling"), chain_from=chain_from,
                       characters=["Mei"], shot=shot, spec=spec)


def groups(shots: list[PlannedShot]) -> list[list[int]]:
    return [s.group for s in shots if s.group]


# --- routing --------------------------------------------------------------------------------


def test_one_scene_groups_on_kling_v3_with_segments_that_fit() -> None:
    shots = group_shots([planned(i) for i in range(3)], BIBLE)
    assert groups(shots) == [[0, 1, 2]]
    assert [s.group_lead for s in shots] == [0, 0, 0]
    limit = catalog.get("kling-v3-pro").segment_chars
    for s in shots:
        (expected,) = compose.render_multishot([s.spec], BIBLE)
        assert s.segment_prompt == expected and 0 < len(s.segment_prompt) <= limit
        assert COOK.descriptor in s.segment_prompt  # descriptors survive the shortening


def test_groups_never_cross_a_scene_nor_take_a_chained_shot() -> None:
    scenes = group_shots([planned(0), planned(1), planned(2, scene=1), planned(3, scene=1)],
                         BIBLE)
    assert groups(scenes) == [[0, 1], [2, 3]]
    chained = group_shots([planned(0), planned(1), planned(2, chain_from=1), planned(3)], BIBLE)
    assert groups(chained) == [[0, 1]]
    assert chained[2].group_lead is None and chained[3].group_lead is None


def test_no_groups_without_multi_shot_or_when_turned_off() -> None:
    assert groups(group_shots([planned(i, model="kling-v2-6-pro", duration=5.0)
                               for i in range(3)], BIBLE)) == []
    # The model takes several shots, but this adapter has no documented way to send them.
    assert groups(group_shots([planned(i, provider="replicate") for i in range(3)], BIBLE)) == []
    off = group_shots(group_shots([planned(i) for i in range(3)], BIBLE), BIBLE, enabled=False)
    assert groups(off) == [] and all(s.group_lead is None and not s.segment_prompt for s in off)


def test_groups_respect_max_shots_total_length_and_whole_seconds() -> None:
    spec = catalog.get("kling-v3-pro")
    seven = group_shots([planned(i, duration=2.0) for i in range(7)], BIBLE)
    assert groups(seven) == [list(range(spec.max_shots))] and seven[6].group_lead is None
    # 5 + 5 + 5 is the longest clip Kling 3.0 renders; the fourth shot goes on its own.
    long = group_shots([planned(i, duration=5.0) for i in range(4)], BIBLE)
    assert groups(long) == [[0, 1, 2]] and long[3].group_lead is None
    half = group_shots([planned(0), planned(1, duration=4.5), planned(2), planned(3)], BIBLE)
    assert groups(half) == [[2, 3]]
    # Two 1 s shots make a 2 s clip, shorter than any Kling 3.0 renders: no group.
    assert groups(group_shots([planned(i, duration=1.0) for i in range(2)], BIBLE)) == []


def test_a_segment_over_the_model_limit_is_not_grouped(monkeypatch: pytest.MonkeyPatch) -> None:
    real = compose.render_multishot

    def long_for_shot_1(specs, bible):
        texts = real(specs, bible)
        return ["x" * 600 if specs[0].shot_index == 1 else t for t in texts]

    monkeypatch.setattr(compose, "render_multishot", long_for_shot_1)
    shots = group_shots([planned(i) for i in range(4)], BIBLE)
    assert groups(shots) == [[2, 3]] and shots[0].group_lead is None


def test_multi_shot_setting_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings.from_env().multi_shot is True
    monkeypatch.setenv("DIRECTOR_MULTI_SHOT", "0")
    assert Settings.from_env().multi_shot is False
    monkeypatch.setenv("DIRECTOR_MULTI_SHOT", "1")
    assert Settings.from_env().multi_shot is True
    monkeypatch.setenv("DIRECTOR_MULTI_SHOT", "sometimes")
    with pytest.raises(DirectorError, match="DIRECTOR_MULTI_SHOT"):
        Settings.from_env()


def test_the_plan_and_the_gate_show_the_group_and_a_per_second_estimate(tmp_path: Path) -> None:
    brief = parse_text_brief(MARKET).model_copy(update={"tier": "final"})
    project = Project(tmp_path / "p")
    ctx = make_context(project, Settings(), auto_approve=False, provider="kling")
    outcome = asyncio.run(run_project(project, ctx, brief=brief))
    assert outcome.status == "awaiting_approval"
    assert outcome.question["groups"] == [[0, 1, 2]]
    assert [s["group_lead"] for s in outcome.question["shots"]] == [0, 0, 0]
    plan = json.loads(project.plan_path.read_text())
    assert plan["shots"][0]["group"] == [0, 1, 2]
    assert all(s["model"] == "kling-v3-pro" and s["segment_prompt"] for s in plan["shots"])
    spec = catalog.get("kling-v3-pro")
    assert plan["estimate_usd"] == pytest.approx(catalog.price(spec, 9.0, False, "720p"))

    off = Project(tmp_path / "off")
    ctx = make_context(off, Settings(multi_shot=False), auto_approve=False, provider="kling")
    outcome = asyncio.run(run_project(off, ctx, brief=brief))
    assert outcome.question["groups"] == []
    assert all(s["group_lead"] is None for s in outcome.question["shots"])


def test_cost_shares_add_up_to_the_one_charge() -> None:
    shares = cost_shares(1.0, [3.0, 3.0, 3.0])
    assert sum(shares) == pytest.approx(1.0, abs=1e-9) and shares[0] == pytest.approx(0.3333)


# --- cutting --------------------------------------------------------------------------------


def _ramp(path: Path, frames: int = 72, fps: int = 24) -> None:
    """Frame n is grey level 3n, with a second of silence per 24 frames."""
    with av.open(str(path), "w", format="mp4") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        video.options = dict(edit.H264_OPTIONS)
        audio = out.add_stream("aac", rate=48_000)
        audio.layout = "mono"
        for n in range(frames):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 3 * n, np.uint8), "rgb24")
            frame.pts, frame.time_base = n, Fraction(1, fps)
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        total = frames * 48_000 // fps
        for start in range(0, total, 1024):
            n = min(1024, total - start)
            chunk = av.AudioFrame.from_ndarray(np.zeros((1, n), np.float32), "fltp", "mono")
            chunk.sample_rate, chunk.pts = 48_000, start
            out.mux(audio.encode(chunk))
        out.mux(audio.encode(None))


def test_cut_is_frame_exact_and_keeps_the_sound(tmp_path: Path) -> None:
    src = tmp_path / "ramp.mp4"
    _ramp(src)
    for start, end in ((0.0, 1.0), (1.0, 2.0), (2.0, 3.0)):
        dest = edit.cut(src, tmp_path / f"cut{start:g}.mp4", start, end)
        with av.open(str(dest)) as clip:
            greys = [f.to_ndarray(format="rgb24").mean() for f in clip.decode(video=0)]
            assert clip.streams.audio, "the cut lost its sound"
        assert len(greys) == 24
        first = round(start * 24)
        assert greys[0] == pytest.approx(3 * first, abs=2)
        assert greys[-1] == pytest.approx(3 * (first + 23), abs=2)
    short = edit.cut(src, tmp_path / "tail.mp4", 2.5, 4.0)  # past the end: what is there
    assert video_info(short).frames == 12
    with pytest.raises(DirectorError, match="no frames"):
        edit.cut(src, tmp_path / "none.mp4", 5.0, 6.0)
    with pytest.raises(DirectorError, match="empty"):
        edit.cut(src, tmp_path / "bad.mp4", 2.0, 1.0)


# --- the simulator --------------------------------------------------------------------------


def test_the_simulator_reads_each_segment_move_from_its_prompt() -> None:
    for move, phrase in MOVE_PHRASES.items():
        assert move_named(f"Mei at a stall. {phrase.capitalize()}, 85mm lens.") == move
    request = GenerationRequest(
        shot_index=4, model="kling-v3-pro", provider="kling", prompt="", duration_s=6,
        width=160, height=90, hints=ShotHints(camera_move="static", action="stirs"),
        multi_prompt=[ShotSegment(prompt="Slow pan left across the stall.", duration_s=2),
                      ShotSegment(prompt="Slow dolly-in on the wok.", duration_s=4)],
    )
    parts = segment_requests(request)
    assert [(p.shot_index, p.duration_s, p.hints.camera_move) for p in parts] == [
        (4, 2, "pan_left"), (5, 4, "push_in")]
    assert all(p.hints.action == "stirs" and not p.multi_prompt for p in parts)


def test_the_simulator_refuses_a_multi_shot_request_kling_would_refuse(tmp_path: Path) -> None:
    sim = SimProvider(tmp_path)
    base = dict(shot_index=0, model="kling-v3-pro", provider="sim", prompt="", width=1920,
                height=1080)
    wrong_sum = GenerationRequest(**base, duration_s=6, multi_prompt=[
        ShotSegment(prompt="a", duration_s=2), ShotSegment(prompt="b", duration_s=3)])
    with pytest.raises(ProviderError, match="add up"):
        asyncio.run(sim.submit(wrong_sum, "p-s00-a1"))
    single_shot_model = GenerationRequest(**{**base, "model": "kling-v2-6-pro"}, duration_s=5,
                                          multi_prompt=[ShotSegment(prompt="a", duration_s=5)])
    with pytest.raises(ProviderError, match="one shot per request"):
        asyncio.run(sim.submit(single_shot_model, "p-s00-a2"))


# --- whole runs -----------------------------------------------------------------------------


def test_a_scene_renders_as_one_request_and_a_failing_segment_is_retaken_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Routed as Kling (3.0 for the final tier) with the simulator rendering: every mirrored
    move is forced, so the push-in of shot 2 comes back as a pull-back in its segment."""
    monkeypatch.setenv("DIRECTOR_SIM_LATENCY_SCALE", "0")
    monkeypatch.setenv("DIRECTOR_SIM_FAULTS", NO_FAULTS.replace("wrong_direction=0",
                                                                "wrong_direction=1"))
    brief = parse_text_brief(MARKET).model_copy(update={"tier": "final"})
    project = Project(tmp_path / "p")
    ctx = make_context(project, Settings(max_attempts=4), auto_approve=True, provider="kling")
    sim = SimProvider(project.takes_dir / ".tasks")
    submitted: list[GenerationRequest] = []
    real_submit = sim.submit

    async def recording(request: GenerationRequest, key: str):
        submitted.append(request)
        return await real_submit(request, key)

    sim.submit = recording  # type: ignore[method-assign]
    ctx.providers = lambda name: sim
    state = asyncio.run(run_project(project, ctx, brief=brief)).state
    plan = state.plan
    assert [s.shot.camera.move for s in plan.shots] == ["static", "push_in", "static"]
    assert plan.shots[0].group == [0, 1, 2]

    group = [r for r in submitted if r.multi_prompt]
    assert len(group) == 1, "the scene is one request, sent once"
    (request,) = group
    assert request.duration_s == 9 and [s.duration_s for s in request.multi_prompt] == [3, 3, 3]
    assert [s.prompt for s in request.multi_prompt] == [s.segment_prompt for s in plan.shots]
    # Only the failing shot was sent again, on its own; the group never was.
    singles = [r for r in submitted if not r.multi_prompt]
    assert singles and {r.shot_index for r in singles} == {1}
    assert all(r.attempt >= 2 for r in singles)

    assert all(r.status == "accepted" for r in state.results.values())
    for index in (0, 2):
        (take,) = state.results[index].takes
        assert take.accepted and take.request.hints.camera_move == "static"
        assert take.task is not None and take.task.task_id == state.results[0].takes[0].task.task_id
    first, *retakes = state.results[1].takes
    assert first.request.hints.camera_move == "push_in" and not first.qc.passed
    assert first.qc.camera.move == "pull_out"
    assert {f.check for f in first.qc.findings if f.severity == "fail"} == {"camera"}
    revision = state.results[1].revisions[0]
    assert revision.variable == "camera" and revision.base_attempt == 1
    assert retakes[-1].accepted and not retakes[-1].request.multi_prompt
    # Each segment was inspected against its own shot: its clip is its own length.
    for result in state.results.values():
        accepted = next(t for t in result.takes if t.accepted)
        assert accepted.qc.duration_s == pytest.approx(3.0, abs=0.05)
    # Every injected segment fault is the finding of that shot's segment take.
    log = [e for e in fault_log(project.takes_dir / ".tasks") if "group" in e]
    assert [(e["shot"], "wrong_direction" in e["faults"]) for e in log] == [
        (0, False), (1, True), (2, False)]

    ledger = Ledger(project.ledger_path)
    submits = [e for e in ledger.entries() if e.kind == "submit"]
    (paid_group,) = [e for e in submits if e.data.get("members")]
    assert paid_group.data["members"] == [0, 1, 2]
    assert (paid_group.shot, paid_group.attempt) == (0, 1)
    spec = catalog.get("kling-v3-pro")
    assert paid_group.cost_usd == pytest.approx(catalog.price(spec, 9.0, False, "1080p"))
    assert ledger.spent_usd() == pytest.approx(sum(e.cost_usd for e in submits))
    group_cost = sum(t.cost_usd for r in state.results.values() for t in r.takes if t.attempt == 1)
    assert group_cost == pytest.approx(paid_group.cost_usd)
    assert state.cut is not None and state.cut.shots == [0, 1, 2]
    assert state.cut.duration_s == pytest.approx(9.0, abs=0.1)


def test_kling_gets_one_multi_shot_create_and_a_killed_run_resumes_on_it(tmp_path: Path) -> None:
    """Against the loopback Kling API: the scene goes as one documented multi-shot create and a
    run killed while it renders resumes on that task. (The fake draws one camera move for a
    whole clip, so the scene pans left in every shot.)"""
    fake = KlingFake(polls_to_finish=2, min_seconds=3600.0)
    fake.start()
    try:
        brief = tmp_path / "market.md"
        brief.write_text(PANS)
        out = tmp_path / "market"
        env = {**os.environ, "KLING_API_BASE": fake.url, "KLING_ACCESS_KEY": fake.access_key,
               "KLING_SECRET_KEY": fake.secret_key, "DIRECTOR_POLL_S": "0.05"}
        args = [*director_cmd(), "run", str(brief), "--provider", "kling", "--tier", "final",
                "--yes", "--out", str(out)]
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                env=env)
        deadline = time.monotonic() + 120
        while not (fake.calls("query") and (out / "ledger.jsonl").exists()):
            assert proc.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline, "the run never submitted"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        (paid,) = fake.tasks
        recorded = [e for e in Ledger(out / "ledger.jsonl").entries() if e.kind == "submit"]
        assert [e.data["task"]["task_id"] for e in recorded] == [paid]

        fake.min_seconds = 0.0
        result = subprocess.run([*director_cmd(), "resume", str(out), "--yes"],
                                capture_output=True, text=True, env=env, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
    finally:
        fake.stop()
    creates = fake.creates()
    group = [r.body for r in creates if r.body.get("multi_shot")]
    assert len(group) == 1, "one multi-shot create, never repeated"
    body = group[0]
    validate("text2video", body)  # exactly as providers.md §1 documents it
    assert body["model_name"] == "kling-v3" and body["shot_type"] == "customize"
    assert body["duration"] == "9" and "prompt" not in body
    assert [(s["index"], s["duration"]) for s in body["multi_prompt"]] == [
        (1, "3"), (2, "3"), (3, "3")]
    assert all(len(s["prompt"]) <= 512 for s in body["multi_prompt"])
    assert fake.tasks[paid].queries > 1, "the resumed run polled the task paid before the kill"
    (group_entry,) = [e for e in Ledger(out / "ledger.jsonl").entries()
                      if e.kind == "submit" and e.data.get("members")]
    assert group_entry.data["task"]["task_id"] == paid and group_entry.data["members"] == [0, 1, 2]
    served = {r.path.rsplit("/", 1)[-1].removesuffix(".mp4") for r in fake.calls("file")}
    assert paid in served, "the group's clip was downloaded from the task paid before the kill"
    # Any other create is a retake of one shot on its own, never take 1 again.
    keys = [r.body["external_task_id"].rsplit("-", 1)[0] for r in creates
            if not r.body.get("multi_shot")]
    assert all(not k.endswith("-a1") for k in keys), keys
    state = json.loads((out / "plan.json").read_text())
    assert state["shots"][0]["group"] == [0, 1, 2]
    with av.open(str(out / "final.mp4")) as cut:
        stream = cut.streams.video[0]
        seconds = sum(1 for _ in cut.decode(stream)) / float(stream.average_rate)
    assert seconds == pytest.approx(9.0, abs=0.1)
