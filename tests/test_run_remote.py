"""`director run --provider fal|replicate|openai --yes` end to end against loopback services:
the command plans, submits, polls, downloads, inspects and cuts, and no key is left in anything
the project folder holds. The kill-and-resume test runs the real console script in processes of
its own; the others run the same entry point in this process."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import av
import pytest
from conftest import CliResult, director_cmd, director_in_process
from fakes.fal_server import FalFake
from fakes.loopback import LoopbackService
from fakes.openai_server import OpenAIFake
from fakes.replicate_server import ReplicateFake

from director.ledger import Ledger

BRIEF = "A paper boat drifting down a flooded gutter after rain, 5 seconds.\n"


def run(tmp_path: Path, provider: str, env: dict[str, str]) -> tuple[CliResult, Path]:
    brief = tmp_path / "boat.md"
    brief.write_text(BRIEF)
    out = tmp_path / "project"
    result = director_in_process(
        # The rules brain: OPENAI_* set for Sora must not switch planning to the LLM brain.
        "run", str(brief), "--provider", provider, "--brain", "rules", "--yes", "--out", str(out),
        env={"DIRECTOR_POLL_S": "0.05", **env},
    )
    return result, out


def cut_seconds(path: Path) -> float:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return sum(1 for _ in container.decode(stream)) / float(stream.average_rate)


def check_project(out: Path, fake: LoopbackService, secret: str, expected_s: float) -> None:
    assert abs(cut_seconds(out / "final.mp4") - expected_s) < 0.1
    submits = [e for e in Ledger(out / "ledger.jsonl").entries() if e.kind == "submit"]
    assert len(submits) == 1
    task = submits[0].data["task"]
    assert task["idempotency_key"].endswith("-s00-a1")
    # The ledger's task is the one the service was polled about.
    assert any(task["task_id"] in r.path.split("/") for r in fake.requests)
    # The key reached the service and nothing else: not the ledger, plan, report or checkpoint.
    for path in out.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path


@pytest.mark.slow
def test_run_on_fal(tmp_path: Path) -> None:
    key = "fal-e2e-key:secret-part"
    with FalFake(key) as fake:
        fake.fail("submit", 429, {"detail": "rate limited"}, headers={"retry-after": "0"})
        result, out = run(tmp_path, "fal", {"FAL_KEY": key, "FAL_QUEUE_BASE": fake.base_url})
        assert result.returncode == 0, result.stdout + result.stderr
        submits = fake.routed("submit")
        assert len(submits) == 2  # the 429, then the accepted one
        body = submits[-1].json()
        assert submits[-1].path == "/fal-ai/kling-video/v2.6/pro/text-to-video"
        assert body["duration"] == "5" and body["generate_audio"] is False
        assert [r.route for r in fake.requests[-2:]] == ["result", "media"]
        check_project(out, fake, key, 5.0)


@pytest.mark.slow
def test_run_on_replicate(tmp_path: Path) -> None:
    token = "r8_e2e_token_value"
    with ReplicateFake(token) as fake:
        fake.drop("poll")
        result, out = run(tmp_path, "replicate", {"REPLICATE_API_TOKEN": token,
                                                   "REPLICATE_API_BASE": fake.base_url})
        assert result.returncode == 0, result.stdout + result.stderr
        (create,) = fake.routed("create")
        assert create.path == "/v1/models/kwaivgi/kling-v2.6/predictions"
        assert create.json()["input"]["duration"] == 5
        assert create.json()["input"]["generate_audio"] is False
        check_project(out, fake, token, 5.0)


@pytest.mark.slow
def test_run_on_openai(tmp_path: Path) -> None:
    key = "sk-e2e-openai-key"
    with OpenAIFake(key) as fake:
        result, out = run(tmp_path, "openai", {"OPENAI_API_KEY": key,
                                                "OPENAI_BASE_URL": fake.api_base})
        assert result.returncode == 0, result.stdout + result.stderr
        (create,) = fake.routed("create")
        form = create.form()
        assert form["model"] == "sora-2" and form["seconds"] == "4" and form["size"] == "1280x720"
        assert len(fake.routed("content")) == 1
        check_project(out, fake, key, 4.0)



@pytest.mark.slow
def test_killed_mid_render_resumes_the_paid_fal_request(tmp_path: Path) -> None:
    key = "fal-resume-key"
    brief = tmp_path / "boat.md"
    brief.write_text(BRIEF)
    out = tmp_path / "project"
    with FalFake(key, steps=1_000_000) as fake:  # never finishes until told to
        env = {**os.environ, "DIRECTOR_POLL_S": "0.05", "FAL_KEY": key,
               "FAL_QUEUE_BASE": fake.base_url}
        process = subprocess.Popen(
            [*director_cmd(), "run", str(brief), "--provider", "fal", "--brain", "rules",
             "--yes", "--out", str(out)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        try:
            deadline = time.monotonic() + 120
            while not fake.routed("status") and time.monotonic() < deadline:
                time.sleep(0.05)
            assert fake.routed("status"), "the run never polled"
        finally:
            process.kill()  # like kill -9 mid-render: nothing gets to clean up
            process.wait()
        fake.steps = 1
        resumed = subprocess.run([*director_cmd(), "resume", str(out), "--yes"],
                                 capture_output=True, text=True, timeout=240, env=env)
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        assert len(fake.routed("submit")) == 1  # the paid request was polled, not bought again
        polled = {r.path for r in fake.routed("status")}
        assert polled == {f"/fal-ai/kling-video/requests/{next(iter(fake.jobs))}/status"}
    assert abs(cut_seconds(out / "final.mp4") - 5.0) < 0.1
