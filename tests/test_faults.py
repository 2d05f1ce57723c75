"""The director under a flaky Kling: a short soak at a fixed seed, and the fault sequences it
taught us to pin down one by one (no take paid twice, no paid clip lost, the cap held)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from fakes.faulty import KINDS, FaultyKling
from fakes.scripted import Fault

from director.errors import ProviderError
from director.film import GenerationRequest, TaskRef
from director.tools import catalog
from director.tools.providers.download import check_video
from director.tools.providers.http import RetryPolicy
from director.tools.providers.kling import KlingProvider

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import soak

T = TypeVar("T")
FAST = RetryPolicy(attempts=4, initial_s=0.01, max_s=0.05, jitter_s=0.01)
QUICK = RetryPolicy(initial_s=0.1, max_s=1.0, jitter_s=0.1, max_retry_after_s=0.2)
"""The shipped number of tries with shorter waits, for whole runs."""
KEY = "harbour-s00-a1"


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


@pytest.fixture
def fake() -> Iterator[FaultyKling]:
    server = FaultyKling(polls_to_finish=2, rates={})  # faults only where a test scripts them
    server.start()
    yield server
    server.stop()


def provider(fake: FaultyKling, work: Path) -> KlingProvider:
    return KlingProvider(work, access_key=fake.access_key, secret_key=fake.secret_key,
                         base_url=fake.url, retry=FAST, poll_retry=FAST)


def req() -> GenerationRequest:
    spec = catalog.get("kling-v2-6-std")
    width, height = spec.resolutions["720p"]["16:9"]
    return GenerationRequest(shot_index=0, model=spec.id, provider="kling", width=width,
                             height=height, prompt="a paper boat drifts down a gutter, slow "
                             "dolly-in, key light from camera-left at 45 degrees, 3200K",
                             duration_s=5.0)


def submit(fake: FaultyKling, work: Path) -> TaskRef:
    return run(provider(fake, work).submit(req(), KEY))


# --- the soak ------------------------------------------------------------------------------


def test_soak_at_a_fixed_seed_keeps_every_invariant(tmp_path: Path) -> None:
    """6 shots over 2 concurrent projects at 25 % random faults, after one of every kind in a
    row (so each kind is met whatever the draw): every shot accepted or failed with a reason,
    one task per take, spend under each cap, every paid clip on disk and in the ledger, every
    task made recorded."""
    fake = soak.make_fake(0.25, seed=11, slow_s=2.0)
    fake.force("create", "lost", "gateway", "429", "5xx", "slow")
    fake.force("query", "drop", "slow", "5xx", "429")
    fake.force("file", "corrupt", "truncate", "5xx", "drop")
    fake.force("task", "failed")
    figures = run(soak.soak(tmp_path, shots=6, projects=2, concurrency=4, timeout_s=1.0,
                            cap_factor=2.0, fake=fake, retry=QUICK))
    assert soak.violations(figures) == [], soak.report(figures, 0.25)
    assert {kind for _, kind in figures.faults} >= {*KINDS, "gateway"}, figures.faults
    # Every fault here is recoverable and the cap leaves room for retakes: all six finish.
    assert sum(len(p.accepted) for p in figures.projects) == 6, soak.report(figures, 0.25)
    assert figures.creates_received > figures.tasks_made >= 7  # one retake after "failed"
    assert figures.late_tasks >= 2  # the lost and the gateway-timed-out creates
    assert figures.paid_returned == figures.clips_on_disk == figures.ledger_clips


# --- creates whose answer is lost ----------------------------------------------------------


def test_lost_create_answer_does_not_make_a_second_task(fake: FaultyKling,
                                                        tmp_path: Path) -> None:
    fake.force("create", "lost")
    ref = submit(fake, tmp_path)
    assert len(fake.tasks) == 1 and ref.task_id in fake.tasks
    assert len(fake.calls("create")) == 2  # the retry met the duplicate id and looked it up


def test_lost_create_then_rate_limited_retries_still_finds_the_task(fake: FaultyKling,
                                                                   tmp_path: Path) -> None:
    """The task was made on the first try; every later try is refused with a 429. The last
    answer is a rate limit, yet the task exists and is paid: it must be returned."""
    fake.force("create", "lost")
    busy = Fault.http(429, {"code": 1302, "message": "rate limit"}, **{"Retry-After": "0"})
    fake.inject("create", *[busy] * 3)
    ref = submit(fake, tmp_path)
    assert list(fake.tasks) == [ref.task_id]


def test_lost_create_then_dropped_connections_still_finds_the_task(fake: FaultyKling,
                                                                  tmp_path: Path) -> None:
    fake.force("create", "lost")
    fake.inject("create", *[Fault.drop()] * 3)
    ref = submit(fake, tmp_path)
    assert list(fake.tasks) == [ref.task_id]


def test_lookup_that_fails_is_reported_as_unsure_not_as_a_refusal(fake: FaultyKling,
                                                                  tmp_path: Path) -> None:
    """The create's answer is lost, the retry is told the id exists, and every look-up fails:
    the error must stay retryable (the same key finds the task later), not a final 1201."""
    fake.force("create", "lost")
    fake.inject("query", *[Fault.drop()] * FAST.attempts)
    with pytest.raises(ProviderError) as caught:
        submit(fake, tmp_path)
    assert caught.value.retryable and "unknown" in str(caught.value), caught.value
    assert fake.pending_faults("query") == 0 and len(fake.tasks) == 1
    again = submit(fake, tmp_path)  # the same take submitted again finds the task
    assert list(fake.tasks) == [again.task_id]


# --- downloads -----------------------------------------------------------------------------


def test_corrupt_download_is_fetched_again_not_accepted(fake: FaultyKling,
                                                        tmp_path: Path) -> None:
    p = provider(fake, tmp_path)

    async def go() -> Path:
        ref = await p.submit(req(), KEY)
        status = await p.poll(ref)
        while status.state != "succeeded":
            status = await p.poll(ref)
        fake.force("file", "corrupt", "truncate")
        return await p.download(ref, status, tmp_path / "takes" / "take.mp4")

    dest = run(go())
    check_video(dest)  # raises unless every frame decodes
    assert len(fake.calls("file")) == 3 and dest.read_bytes()[4:8] == b"ftyp"
    assert not [f for f in dest.parent.iterdir() if f != dest]  # no partial file left


# --- the cap ---------------------------------------------------------------------------------


def test_retake_after_a_failed_task_stops_at_the_cap(tmp_path: Path) -> None:
    """The cap covers exactly one take per shot; a task that ends failed needs a retake the
    cap cannot pay for: that shot fails naming the budget, and nothing passes the cap."""
    fake = FaultyKling(polls_to_finish=2, rates={})
    fake.force("task", "failed")
    figures = run(soak.soak(tmp_path, shots=2, projects=1, cap_factor=1.0, fake=fake,
                            retry=QUICK))
    assert soak.violations(figures) == [], soak.report(figures, 0)
    (project,) = figures.projects
    assert len(project.accepted) == 1 and len(project.failed) == 1, soak.report(figures, 0)
    assert "budget" in next(iter(project.failed.values()))
    assert project.ledger_usd <= project.cap_usd and figures.tasks_made == 2


def test_a_create_whose_fate_is_unknown_is_counted_against_the_cap(tmp_path: Path) -> None:
    """The create's answer is lost and every look-up fails: the task may exist and be billed,
    so the shot fails saying so and its price stays in the ledger's spend."""
    fake = FaultyKling(polls_to_finish=2, rates={})
    fake.force("create", "lost")
    fake.inject("query", *[Fault.drop()] * QUICK.attempts)
    figures = run(soak.soak(tmp_path, shots=1, projects=1, cap_factor=1.3, fake=fake,
                            retry=QUICK))
    (project,) = figures.projects
    assert len(project.failed) == 1, soak.report(figures, 0)
    assert "may have made take 1" in project.failed[0], project.failed
    assert figures.tasks_made == 1
    assert project.tasks_usd > 0
    assert project.ledger_usd == pytest.approx(project.tasks_usd), soak.report(figures, 0)


def test_first_takes_of_every_shot_come_before_any_retake(tmp_path: Path) -> None:
    """Shots render one at a time; the first task fails. The cap has room for every shot's
    first take and half a retake more: the retake is refused, since spending it would leave a
    later shot with no take at all."""
    fake = FaultyKling(polls_to_finish=2, rates={})
    fake.force("task", "failed")
    figures = run(soak.soak(tmp_path, shots=3, projects=1, cap_factor=3.5 / 3, concurrency=1,
                            fake=fake, retry=QUICK))
    assert soak.violations(figures) == [], soak.report(figures, 0)
    (project,) = figures.projects
    assert len(project.accepted) == 2 and len(project.failed) == 1, soak.report(figures, 0)
    # The shot whose task failed is the one left without a take, not a later one.
    assert list(project.failed) == [0] and project.accepted == [1, 2], project.failed
    assert "kept for the first takes" in project.failed[0]
    assert figures.tasks_made == 3
