"""No key, token or Authorization header leaves an adapter: every failure it can be driven into
(a refused key, server errors, a proxy's HTML page, a failed task, a service that is down) is
scanned, with the adapter's repr, every log record and every file it wrote in the project."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openai
import pytest
from fakes.fal_server import FalFake
from fakes.kling_server import KlingFake
from fakes.openai_server import OpenAIFake
from fakes.piapi_server import PiAPIFake
from fakes.replicate_server import ReplicateFake
from fakes.scripted import Fault

from director.errors import ProviderError
from director.film import GenerationRequest
from director.tools import catalog
from director.tools.providers.fal import FalProvider
from director.tools.providers.http import RetryPolicy
from director.tools.providers.kling import KlingProvider
from director.tools.providers.openai_video import OpenAIVideoProvider
from director.tools.providers.piapi import PiAPIProvider
from director.tools.providers.remote import Secret
from director.tools.providers.replicate import ReplicateProvider

FAST = RetryPolicy(attempts=2, initial_s=0.01, max_s=0.02, jitter_s=0.0)
KLING_KEYS = ("AK-SEKRET-kling-access", "SK-SEKRET-kling-secret-0123456789abcdef")
PROMPT = "A paper boat drifts on a puddle, slow dolly-in, 50mm, key light from camera-left."


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Case:
    """How to drive one adapter: its fake, a builder, and the faults to script."""

    model: str
    secrets: tuple[str, ...]
    fake: Callable[[], AbstractContextManager[Any]]
    build: Callable[[Any, Path, str, tuple[str, ...]], Any]
    """(fake, work dir, base URL, keys) -> provider."""
    base: Callable[[Any], str]
    poll_route: str
    server_error: Callable[[Any], None]
    page: Callable[[Any], None]


def _kling_fake() -> Any:
    return KlingFake(access_key=KLING_KEYS[0], secret_key=KLING_KEYS[1])


def _kling(fake: Any, work: Path, base: str, keys: tuple[str, ...]) -> KlingProvider:
    return KlingProvider(work, access_key=keys[0], secret_key=keys[1], base_url=base, retry=FAST,
                         poll_retry=FAST)


def _piapi(fake: Any, work: Path, base: str, keys: tuple[str, ...]) -> PiAPIProvider:
    return PiAPIProvider(work, api_key=keys[0], base_url=base, retry=FAST, poll_retry=FAST)


def _fal(fake: Any, work: Path, base: str, keys: tuple[str, ...]) -> FalProvider:
    return FalProvider(work, key=Secret(keys[0], "FAL_KEY"), base=base, policy=FAST,
                       poll_policy=FAST)


def _replicate(fake: Any, work: Path, base: str, keys: tuple[str, ...]) -> ReplicateProvider:
    return ReplicateProvider(work, token=Secret(keys[0], "REPLICATE_API_TOKEN"), base=base,
                             policy=FAST, poll_policy=FAST)


def _openai(fake: Any, work: Path, base: str, keys: tuple[str, ...]) -> OpenAIVideoProvider:
    def client() -> openai.AsyncOpenAI:
        return openai.AsyncOpenAI(api_key=keys[0], base_url=f"{base}/v1", max_retries=0,
                                  timeout=5.0)

    return OpenAIVideoProvider(work, client_factory=client, policy=FAST, poll_policy=FAST)


def _scripted(route: str, fault: Callable[[], Fault]) -> Callable[[Any], None]:
    return lambda fake: fake.inject(route, *[fault() for _ in range(FAST.attempts)])


CASES = {
    "kling": Case("kling-v2-6-std", KLING_KEYS,
                  _kling_fake, _kling, lambda f: f.url, "query",
                  _scripted("query", lambda: Fault.http(500, {"code": 5000, "message": "x"})),
                  _scripted("query", lambda: Fault.page(502))),
    "piapi": Case("kling-v2-6-std", ("PI-SEKRET-piapi-key",),
                  lambda: PiAPIFake("PI-SEKRET-piapi-key"), _piapi, lambda f: f.url, "get",
                  _scripted("get", lambda: Fault.http(500, {"message": "x"})),
                  _scripted("get", lambda: Fault.page(502))),
    "fal": Case("kling-v2-6-pro", ("FAL-SEKRET-id:fal-secret",),
                lambda: FalFake("FAL-SEKRET-id:fal-secret"), _fal, lambda f: f.base_url, "status",
                lambda f: f.fail("status", 500, {"detail": "x"}, times=FAST.attempts),
                lambda f: f.page("status", 502, times=FAST.attempts)),
    "replicate": Case("kling-v2-6-pro", ("r8_SEKRET_replicate",),
                      lambda: ReplicateFake("r8_SEKRET_replicate"), _replicate,
                      lambda f: f.base_url, "poll",
                      lambda f: f.fail("poll", 500, {"detail": "x"}, times=FAST.attempts),
                      lambda f: f.page("poll", 502, times=FAST.attempts)),
    "openai": Case("sora-2", ("sk-SEKRET-openai",), lambda: OpenAIFake("sk-SEKRET-openai"),
                   _openai, lambda f: f.base_url, "retrieve",
                   lambda f: f.fail("retrieve", 500, {"error": {"message": "x"}},
                                    times=FAST.attempts),
                   lambda f: f.page("retrieve", 502, times=FAST.attempts)),
}


def request(case: Case, provider: str) -> GenerationRequest:
    spec = catalog.get(case.model)
    width, height = next(iter(spec.resolutions.values()))["16:9"]
    return GenerationRequest(shot_index=0, model=spec.id, provider=provider, prompt=PROMPT,
                             duration_s=spec.durations[0], width=width, height=height)


@pytest.fixture(params=sorted(CASES))
def case(request: pytest.FixtureRequest) -> Iterator[tuple[str, Case, Any]]:
    chosen = CASES[request.param]
    with chosen.fake() as fake:
        yield request.param, chosen, fake


def test_no_secret_in_any_error_log_repr_or_file(case: tuple[str, Case, Any], tmp_path: Path,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    name, spec, fake = case
    caplog.set_level(logging.DEBUG)
    req = request(spec, name)
    seen: list[str] = []

    def failing(call: Any) -> None:
        with pytest.raises(ProviderError) as caught:
            asyncio.run(call)
        seen.extend([str(caught.value), repr(caught.value)])

    work = tmp_path / "project" / "tasks"
    wrong = tuple(f"{key[:-4]}XXXX" for key in spec.secrets)  # a refused key looks alike
    failing(spec.build(fake, work, spec.base(fake), wrong).submit(req, "boat-s00-a1"))
    down = spec.build(fake, work, f"http://127.0.0.1:{closed_port()}", spec.secrets)
    failing(down.submit(req, "boat-s00-a2"))

    provider = spec.build(fake, work, spec.base(fake), spec.secrets)
    ref = asyncio.run(provider.submit(req, "boat-s00-a3"))
    spec.server_error(fake)
    failing(provider.poll(ref))
    spec.page(fake)
    failing(provider.poll(ref))
    fake.fail_next_task(*(("moderation_blocked", "blocked") if name == "openai" else
                          ("content policy refused",)))
    failed = asyncio.run(provider.submit(req, "boat-s00-a4"))
    for _ in range(6):
        status = asyncio.run(provider.poll(failed))
        if status.state == "failed":
            break
    assert status.state == "failed" and status.policy, status
    seen += [status.model_dump_json(), ref.model_dump_json(), failed.model_dump_json(),
             repr(provider), repr(down), caplog.text]

    # The fake saw the credentials (so the scan below looks for the right strings) ...
    sent = [h for r in fake.requests for k, h in r.headers.items()
            if k in ("authorization", "x-api-key")]
    assert any(spec.secrets[-1] in h for h in sent) or name == "kling"
    tokens = [h.split()[-1] for h in sent]  # Kling's signed JWTs among them
    # ... and nothing the adapter said, logged or stored carries any of them.
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert files, "the adapter keeps a task record in the project"
    stored = b"".join(p.read_bytes() for p in files)
    for secret in (*spec.secrets, *wrong, *tokens):
        assert secret.encode() not in stored
        for text in seen:
            assert secret not in text, (secret, text)
