"""`director run --provider kling|piapi` as a person runs it, against loopback services: a brief
goes in, a cut comes out; a run killed mid-render resumes without paying twice."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import av
import pytest
from conftest import director_cmd
from fakes.kling_server import KlingFake
from fakes.piapi_server import PiAPIFake
from fakes.scripted import Fault

from director.ledger import Ledger

BRIEF = "a paper boat drifting down a flooded gutter after rain, 5 seconds\n"


@pytest.fixture
def brief(tmp_path: Path) -> Path:
    path = tmp_path / "boat.md"
    path.write_text(BRIEF)
    return path


@pytest.fixture
def kling() -> Iterator[KlingFake]:
    fake = KlingFake(polls_to_finish=3)
    fake.start()
    yield fake
    fake.stop()


def kling_env(fake: KlingFake) -> dict[str, str]:
    return {**os.environ, "KLING_API_BASE": fake.url, "KLING_ACCESS_KEY": fake.access_key,
            "KLING_SECRET_KEY": fake.secret_key, "DIRECTOR_POLL_S": "0.05"}


def director(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*director_cmd(), *args], capture_output=True, text=True, env=env,
                          timeout=300)


def cut_seconds(path: Path) -> float:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return sum(1 for _ in container.decode(stream)) / float(stream.average_rate)


def takes_by_key(fake: KlingFake) -> Counter[str]:
    """Accepted creates (tasks made) per take: the external id is the take's key plus a tag."""
    return Counter(r.body["external_task_id"].rsplit("-", 1)[0] for r in fake.creates())


def test_kling_run_killed_mid_render_resumes_on_the_paid_task_and_cuts(
    kling: KlingFake, brief: Path, tmp_path: Path
) -> None:
    """One create per take, across a 429, a SIGKILL while rendering, a 5xx on a query and a
    truncated download; the resumed run finishes the cut from the task paid for before."""
    kling.min_seconds = 3600.0  # renders "take an hour" until released below
    kling.inject("create", Fault.http(429, {"code": 1302, "message": "rate limit"},
                                      **{"Retry-After": "0"}))
    out = tmp_path / "boat"
    env = kling_env(kling)
    proc = subprocess.Popen(
        [*director_cmd(), "run", str(brief), "--provider", "kling", "--yes", "--out", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )
    ledger = Ledger(out / "ledger.jsonl")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        submitted = (out / "ledger.jsonl").exists() and any(
            e.kind == "submit" for e in ledger.entries())
        if submitted and kling.calls("query"):
            break
        assert proc.poll() is None, "the run ended before it could be killed"
        time.sleep(0.05)
    else:
        pytest.fail("the run never submitted")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (out / "final.mp4").exists()
    paid = set(kling.tasks)
    assert len(paid) == 1
    kling.min_seconds = 0.0
    kling.inject("query", Fault.http(500, {"code": 5000, "message": "server error"}))
    kling.inject("file", Fault.truncate())
    result = director("resume", str(out), "--yes", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert cut_seconds(out / "final.mp4") == pytest.approx(5.0, abs=0.05)
    body = kling.calls("create")[0].body
    assert body["model_name"] == "kling-v2-6" and body["duration"] == "5"
    assert len(kling.calls("create")) == len(kling.tasks) + 1  # each take once, plus the 429
    assert kling.pending_faults("file") == 0  # the truncated download was fetched again
    for name in ("ledger.jsonl", "report.html", "plan.json"):
        text = (out / name).read_text()
        assert kling.secret_key not in text and kling.access_key not in text
    for stored in out.rglob("*"):
        if stored.is_file():
            assert kling.secret_key.encode() not in stored.read_bytes(), stored
    counts = takes_by_key(kling)
    assert counts and all(n == 1 for n in counts.values()), counts
    assert paid <= set(kling.tasks)
    served = {r.path.rsplit("/", 1)[-1].removesuffix(".mp4") for r in kling.calls("file")}
    assert paid & served, "the resumed run downloaded the task paid for before the kill"


def test_piapi_run_cuts(brief: Path, tmp_path: Path) -> None:
    fake = PiAPIFake(polls_to_finish=3)
    fake.start()
    try:
        fake.inject("get", Fault.drop())
        out = tmp_path / "boat"
        env = {**os.environ, "PIAPI_API_BASE": fake.url, "PIAPI_API_KEY": fake.api_key,
               "DIRECTOR_POLL_S": "0.05"}
        result = director("run", str(brief), "--provider", "piapi", "--yes", "--out", str(out),
                          env=env)
        assert result.returncode == 0, result.stdout + result.stderr
        assert cut_seconds(out / "final.mp4") == pytest.approx(5.0, abs=0.05)
        body = fake.calls("create")[0].body
        assert body["input"]["version"] == "2.6" and body["input"]["duration"] == 5
        assert len(fake.calls("create")) == len(fake.tasks) == 1
        assert fake.api_key not in (out / "ledger.jsonl").read_text()
    finally:
        fake.stop()
