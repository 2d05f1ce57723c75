"""The `director` command as a person uses it: real files and exit codes, and for each command
at least one run of the real console script in a process of its own."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import av
import pytest
from conftest import (
    EXAMPLE_BRIEFS,
    all_briefs,
    director_cmd,
    director_in_process,
    reference_brief,
)

from director.ledger import Ledger


def director(*args: str, env: dict[str, str] | None = None, timeout: float = 300):
    return subprocess.run(
        [*director_cmd(), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def decoded_duration(path: Path) -> float:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        return frames / float(stream.average_rate)


def test_run_one_liner_produces_cut_report_and_plan(tmp_path: Path) -> None:
    out = tmp_path / "boat"
    result = director("run", str(EXAMPLE_BRIEFS / "paper-boat.md"), "--out", str(out), "--yes")
    assert result.returncode == 0, result.stderr
    plan = json.loads((out / "plan.json").read_text())
    assert 1 <= len(plan["shots"]) <= 3
    total = sum(s["duration_s"] for s in plan["shots"])
    assert abs(decoded_duration(out / "final.mp4") - total) <= 0.1 * len(plan["shots"])
    report = (out / "report.html").read_text()
    assert plan["shots"][0]["prompt"][:40].replace("'", "&#x27;") in report
    assert (out / "brief.md").exists() and (out / "state.sqlite").exists()
    assert len(list((out / "takes").glob("*.mp4"))) == len(plan["shots"])


def test_plan_json_contract(tmp_path: Path) -> None:
    result = director(
        "plan", str(reference_brief("chef-table.md")), "--json"
    )
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    names = [c["name"] for c in plan["characters"]]
    assert any("Ana" in n for n in names)
    descriptor = plan["characters"][0]["descriptor"]
    for shot in plan["shots"]:
        assert set(shot) >= {"index", "duration_s", "characters", "model", "prompt"}
        if shot["characters"]:
            assert descriptor in shot["prompt"]
    assert sum(s["duration_s"] for s in plan["shots"]) == pytest.approx(12, abs=0.01)
    assert not list(tmp_path.iterdir())  # planning renders nothing


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("", "empty"),
        ("a boat\x00\x01\x02", "binary"),
        ("title: [unclosed", "yaml"),
    ],
)
def test_bad_briefs_get_one_line_and_exit_2(tmp_path: Path, content: str, words: str) -> None:
    suffix = ".yaml" if words == "yaml" else ".md"
    path = tmp_path / f"bad{suffix}"
    path.write_text(content)
    result = director_in_process("run", str(path), "--yes", "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert words in result.stderr.lower() or "invalid" in result.stderr.lower()


@pytest.mark.parametrize("duration", ["0", "10000"])
def test_absurd_duration_is_rejected(tmp_path: Path, duration: str) -> None:
    path = tmp_path / "brief.json"
    path.write_text(json.dumps({"title": "x", "text": "a cat on a wall", "duration": duration}))
    result = director_in_process("plan", str(path))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert duration in result.stderr


def test_missing_project_and_unknown_provider_are_clear(tmp_path: Path) -> None:
    result = director("resume", str(tmp_path / "nope"))
    assert result.returncode == 2 and "not a project folder" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1  # one line from a real process
    result = director(
        "run",
        str(EXAMPLE_BRIEFS / "paper-boat.md"),
        "--yes",
        "--provider",
        "nosuch",
        "--out",
        str(tmp_path / "p"),
    )
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "nosuch" in result.stderr


def test_lint_passes_on_plan_and_brief(tmp_path: Path) -> None:
    brief = reference_brief("neon-rain.md")
    plan = director_in_process("plan", str(brief), "--json")
    (tmp_path / "plan.json").write_text(plan.stdout)
    assert director("lint", str(tmp_path / "plan.json")).returncode == 0
    assert director_in_process("lint", str(brief)).returncode == 0


def test_sigkill_mid_render_then_resume_does_not_rerender(tmp_path: Path) -> None:
    out = tmp_path / "neon"
    brief = reference_brief("neon-rain.md")
    env = {**os.environ, "DIRECTOR_CONCURRENCY": "1"}
    proc = subprocess.Popen(
        [*director_cmd(), "run", str(brief), "--out", str(out), "--yes"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    ledger = Ledger(out / "ledger.jsonl")
    deadline = time.monotonic() + 240
    # Kill once the first shot is accepted and the second is being rendered.
    while time.monotonic() < deadline:
        kinds = {(e.kind, e.shot) for e in ledger.entries()}
        if ("take", 0) in kinds and ("submit", 1) in kinds:
            break
        assert proc.poll() is None, "run finished before it could be killed"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    first_take = out / "takes" / "shot00_take1.mp4"
    mtime = first_take.stat().st_mtime_ns
    assert not (out / "final.mp4").exists()

    result = director("resume", str(out), env={"DIRECTOR_CONCURRENCY": "1"})
    assert result.returncode == 0, result.stderr
    assert first_take.stat().st_mtime_ns == mtime
    submits = [(e.shot, e.attempt) for e in ledger.entries() if e.kind == "submit"]
    raw = [json.loads(x) for x in (out / "ledger.jsonl").read_text().splitlines() if x.strip()]
    raw_submits = [(r["shot"], r["attempt"]) for r in raw if r["kind"] == "submit"]
    assert len(raw_submits) == len(set(raw_submits)) == len(submits)
    plan = json.loads((out / "plan.json").read_text())
    total = sum(s["duration_s"] for s in plan["shots"])
    assert abs(decoded_duration(out / "final.mp4") - total) <= 0.1 * len(plan["shots"])


def test_every_shipped_brief_is_covered() -> None:
    assert len(all_briefs()) >= 11


@pytest.mark.slow
@pytest.mark.parametrize("brief", all_briefs(), ids=lambda p: p.name)
def test_every_brief_runs_offline_and_lints_clean(tmp_path: Path, brief: Path) -> None:
    # In process: the console script itself is run in its own process by the tests above.
    out = tmp_path / brief.stem
    result = director_in_process("run", str(brief), "--out", str(out), "--yes")
    assert result.returncode == 0, f"{brief.name}: {result.stderr}"
    assert director_in_process("lint", str(out / "plan.json")).returncode == 0, brief.name
    assert (out / "final.mp4").stat().st_size > 0
