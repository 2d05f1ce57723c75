"""The vision judge, faked at the HTTP transport: eight frames go out, the blind caption comes
first and knows nothing of the prompt, the verdict is held to a strict schema, and every way the
model can fail becomes a warning, never a crash or a leaked key. Wired into inspect_take, it adds
one finding per failed element next to the pixels' own."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import httpx
import numpy as np
import pytest
from PIL import Image

from director.film import (
    Bible,
    GenerationRequest,
    Lighting,
    Location,
    PromptSpec,
    Shot,
    ShotHints,
)
from director.tools.qc.inspector import inspect_take
from director.tools.qc.judge import ELEMENTS, JudgeSettings, JudgeSpec, make_judge

KEY = "sk-test-0123456789abcdefSECRET"
SPEC = JudgeSpec(
    subject="a chef in a white double-breasted jacket",
    action="plates a saffron risotto",
    environment="a steel restaurant kitchen pass at night",
    lighting="hard key light from camera-left at 45°, 3200K tungsten practical",
    atmosphere="Kodak 5219 grain, amber and steel palette, steam in the air",
)
CAPTION = {
    "subject": "a person in a white jacket",
    "action": "arranges food on a plate",
    "environment": "a kitchen",
    "lighting": "warm light from the right side of frame",
    "atmosphere": "warm, grainy",
}


def _verdict(failing: tuple[str, ...] = ()) -> dict[str, dict[str, object]]:
    return {
        e: {"ok": e not in failing, "observed": f"seen {e}", "reason": f"because {e}"}
        for e in ELEMENTS
    }


def _completion(content: str | None, *, refusal: str | None = None, finish: str = "stop") -> dict:
    return {
        "id": "c1",
        "object": "chat.completion",
        "created": 0,
        "model": "vision-test",
        "choices": [
            {
                "index": 0,
                "finish_reason": finish,
                "message": {"role": "assistant", "content": content, "refusal": refusal},
            }
        ],
        "usage": {"prompt_tokens": 900, "completion_tokens": 90, "total_tokens": 990},
    }


Handler = Callable[[httpx.Request], httpx.Response]


class Endpoint:
    """Answers each POST with the next scripted response and keeps the requests."""

    def __init__(self, *replies: httpx.Response | Exception) -> None:
        self.replies = list(replies)
        self.requests: list[dict] = []
        self.headers: list[httpx.Headers] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(json.loads(request.content))
        self.headers.append(request.headers)
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply


def ok(body: dict) -> httpx.Response:
    return httpx.Response(200, json=_completion(json.dumps(body)))


def status(code: int) -> httpx.Response:
    return httpx.Response(code, json={"error": {"message": f"echo {KEY}", "type": "x"}})


TRUNCATED = '{"subject": {"ok": tr'
ENV = {"DIRECTOR_VISION_MODEL": "vision-test", "OPENAI_API_KEY": KEY, "DIRECTOR_LLM_BACKOFF_S": "0"}


def _judge(endpoint: Endpoint, **env: str):
    client = httpx.Client(transport=httpx.MockTransport(endpoint))
    judge = make_judge({**ENV, **env}, http_client=client)
    assert judge is not None
    return judge


@pytest.fixture(scope="module")
def take(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2 s 320x180 clip whose frames differ, so sampled positions can be told apart."""
    path = tmp_path_factory.mktemp("judge") / "take.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = 320, 180, "yuv420p"
        for i in range(48):
            rgb = np.full((180, 320, 3), (i * 5, 80, 200 - i * 4), np.uint8)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, 24)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def _images(request: dict) -> list[str]:
    (user,) = [m for m in request["messages"] if m["role"] == "user"]
    return [p["image_url"]["url"] for p in user["content"] if p["type"] == "image_url"]


def _text(request: dict) -> str:
    parts = []
    for m in request["messages"]:
        content = m["content"]
        parts += [content] if isinstance(content, str) else [
            p["text"] for p in content if p["type"] == "text"
        ]
    return "\n".join(parts)


def test_not_configured_means_no_judge() -> None:
    assert make_judge({}) is None
    assert make_judge({"OPENAI_API_KEY": KEY}) is None  # no vision model named
    assert make_judge({"DIRECTOR_VISION_MODEL": "m"}) is None  # no endpoint to call
    local = make_judge({"DIRECTOR_VISION_MODEL": "llava", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"})
    assert local is not None and local.describe() == "llava at http://127.0.0.1:9/v1"


def test_blind_caption_first_then_strict_verdict(take: Path) -> None:
    endpoint = Endpoint(ok(CAPTION), ok(_verdict(failing=("lighting",))))
    result = _judge(endpoint).judge(take, SPEC)
    blind, verdict = endpoint.requests
    for request in (blind, verdict):
        images = _images(request)
        assert len(images) == 8
        assert len(set(images)) == 8  # eight different moments, not one frame repeated
        for url in images:
            assert url.startswith("data:image/jpeg;base64,")
            with Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))) as img:
                assert img.format == "JPEG" and max(img.size) <= 512
        fmt = request["response_format"]
        assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
        schema = fmt["json_schema"]["schema"]
        assert schema["additionalProperties"] is False
        assert set(schema["required"]) == set(schema["properties"])
        assert not any("camera" in k for k in _keys(schema))  # the judge never rules on camera
        assert request["temperature"] == 0
    blind_text = _text(blind).lower()
    for line in SPEC.model_dump().values():
        assert line.lower() not in blind_text
    assert "saffron" not in blind_text and "risotto" not in blind_text
    assert set(_schema_props(verdict)) == set(ELEMENTS)
    assert SPEC.lighting in _text(verdict) and CAPTION["lighting"] in _text(verdict)
    assert result.caption is not None and result.caption.lighting == CAPTION["lighting"]
    assert [(f.check, f.variable, f.severity) for f in result.findings] == [
        ("judge:lighting", "lighting", "fail")
    ]
    assert "camera-left" in result.findings[0].message
    assert all(h["authorization"] == f"Bearer {KEY}" for h in endpoint.headers)


def _keys(node: object) -> set[str]:
    """Every property name anywhere in a JSON schema."""
    if isinstance(node, list):
        return set().union(*(_keys(n) for n in node))
    if not isinstance(node, dict):
        return set()
    found = set(node.get("properties", {})) if isinstance(node.get("properties"), dict) else set()
    return found.union(*(_keys(v) for v in node.values()))


def _schema_props(request: dict) -> dict:
    return request["response_format"]["json_schema"]["schema"]["properties"]


def test_a_take_that_matches_raises_nothing(take: Path) -> None:
    result = _judge(Endpoint(ok(CAPTION), ok(_verdict()))).judge(take, SPEC)
    assert result.findings == [] and result.verdict is not None


def test_rate_limit_is_retried(take: Path) -> None:
    endpoint = Endpoint(status(429), ok(CAPTION), status(503), ok(_verdict(("action",))))
    result = _judge(endpoint).judge(take, SPEC)
    assert len(endpoint.requests) == 4
    assert [f.check for f in result.findings] == ["judge:action"]


def _warning(result) -> str:
    (finding,) = result.findings
    assert finding.severity == "warn" and finding.check == "judge"
    assert KEY not in finding.message and "SECRET" not in finding.message
    return finding.message


def test_server_errors_give_up_after_the_retries_with_a_warning(take: Path) -> None:
    endpoint = Endpoint(*(status(500) for _ in range(3)))
    message = _warning(_judge(endpoint, DIRECTOR_LLM_RETRIES="2").judge(take, SPEC))
    assert len(endpoint.requests) == 3
    assert "HTTP 500 after retries" in message and "blind caption" in message


def test_client_errors_and_timeouts_are_not_retried(take: Path) -> None:
    endpoint = Endpoint(status(400))
    assert "HTTP 400" in _warning(_judge(endpoint).judge(take, SPEC))
    assert len(endpoint.requests) == 1
    endpoint = Endpoint(ok(CAPTION), httpx.ReadTimeout("slow"))
    result = _judge(endpoint).judge(take, SPEC)
    assert "timed out" in _warning(result) and len(endpoint.requests) == 2
    assert result.caption is not None


def test_refusal_is_a_warning(take: Path) -> None:
    refused = httpx.Response(200, json=_completion(None, refusal="I can't help with that."))
    message = _warning(_judge(Endpoint(ok(CAPTION), refused)).judge(take, SPEC))
    assert "refused" in message and "verdict" in message


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        (httpx.Response(200, json=_completion(TRUNCATED, finish="length")), "cut off"),
        (httpx.Response(200, json=_completion(TRUNCATED)), "schema"),
        (httpx.Response(200, json=_completion(json.dumps({"subject": CAPTION}))), "schema"),
    ],
)
def test_truncated_or_malformed_json_is_a_warning(
    take: Path, reply: httpx.Response, words: str
) -> None:
    message = _warning(_judge(Endpoint(ok(CAPTION), reply)).judge(take, SPEC))
    assert words in message


def test_unreadable_take_calls_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video")
    endpoint = Endpoint()
    assert "cannot sample frames" in _warning(_judge(endpoint).judge(bad, SPEC))
    assert endpoint.requests == []


def test_spec_from_a_shot_uses_the_bible() -> None:
    light = Lighting(source="tungsten practical", direction="camera-left at 45°", side="left",
                     colour_temperature_k=3200, quality="hard")
    kitchen = Location(
        name="pass", place="a steel kitchen pass", time_of_day="night", lighting=light
    )
    bible = Bible(locations=[kitchen])
    shot = Shot(index=0, beat="b", duration_s=5, subject="the chef", action="plates risotto",
                location="pass", lighting=light, atmosphere="amber grain")
    spec = JudgeSpec.from_shot(shot, bible)
    assert spec.environment == "a steel kitchen pass, night"
    assert "camera-left" in spec.lighting and "3200K" in spec.lighting
    assert spec.action == "plates risotto"


def test_settings_refuse_nonsense() -> None:
    from director.errors import DirectorError

    with pytest.raises(DirectorError, match="DIRECTOR_LLM_RETRIES"):
        JudgeSettings.from_env({**ENV, "DIRECTOR_LLM_RETRIES": "lots"})


def _request(**hints: str) -> GenerationRequest:
    return GenerationRequest(
        shot_index=0,
        model="kling-v2-6-pro",
        provider="kling",
        prompt="A chef in a white double-breasted jacket plates a saffron risotto at night.",
        duration_s=2.0,
        width=320,
        height=180,
        fps=24,
        hints=ShotHints(light_side="right", colour_temperature_k=3200, **hints),
    )


PROMPT_SPEC = PromptSpec(
    shot_index=0,
    subject="a chef in a white double-breasted jacket plates a saffron risotto",
    camera="medium shot, eye level, 50mm, locked off",
    environment="a steel restaurant kitchen pass at night, tungsten practical camera-right",
    atmosphere="Kodak 5219 grain, amber and steel palette",
)


def test_inspect_take_adds_the_judges_element_findings(take: Path) -> None:
    request = _request(subject="a chef in a white jacket", action="plates a saffron risotto")
    pixels = inspect_take(take, request)
    endpoint = Endpoint(ok(CAPTION), ok(_verdict(failing=("environment", "lighting"))))
    report = inspect_take(take, request, judge=_judge(endpoint), spec=PROMPT_SPEC)
    extra = [f for f in report.findings if f not in pixels.findings]
    judged = [(f.check, f.variable, f.severity) for f in extra]
    assert judged == [
        ("judge:environment", "environment", "fail"),
        ("judge:lighting", "lighting", "fail"),
    ]
    assert not report.passed
    # The pixels' own verdicts are untouched, the camera among them.
    assert report.camera == pixels.camera and report.defects == pixels.defects
    asked = _text(endpoint.requests[1])
    # The spec's subject part carries the descriptors; the action comes from the hints.
    assert f"- subject: {PROMPT_SPEC.subject}" in asked
    assert "- action: plates a saffron risotto" in asked
    assert "- environment: a steel restaurant kitchen pass at night" in asked
    assert "key light from camera-right, about 3200K" in asked
    assert "Kodak 5219" in asked
    assert "camera" not in _schema_props(endpoint.requests[1])


def test_inspect_take_reads_the_elements_from_the_request_alone(take: Path) -> None:
    endpoint = Endpoint(ok(CAPTION), ok(_verdict()))
    report = inspect_take(take, _request(action="plates a saffron risotto"), judge=_judge(endpoint))
    assert not [f for f in report.findings if f.check.startswith("judge")]
    asked = _text(endpoint.requests[1])
    assert "- action: plates a saffron risotto" in asked
    # What the hints do not say is read from the prompt text.
    assert "- environment: whatever this prompt says about it: A chef in a white" in asked


def test_an_element_the_shot_does_not_describe_never_fails(take: Path) -> None:
    bare = GenerationRequest(shot_index=0, model="m", provider="p", prompt="", duration_s=2,
                             width=320, height=180)
    spec = JudgeSpec.from_request(bare)
    assert all(not spec.specified(e) for e in ELEMENTS)
    spec = JudgeSpec.from_request(_request(subject="a chef"))
    assert spec.specified("subject") and spec.specified("lighting")
    partial = SPEC.model_copy(update={"atmosphere": "not specified"})
    endpoint = Endpoint(ok(CAPTION), ok(_verdict(failing=("atmosphere", "action"))))
    result = _judge(endpoint).judge(take, partial)
    assert [f.check for f in result.findings] == ["judge:action"]
    assert "'not specified' passes" in _text(endpoint.requests[1])


def test_a_judge_that_fails_only_warns_and_inspection_completes(take: Path) -> None:
    request = _request(action="plates a saffron risotto")
    pixels = inspect_take(take, request)
    endpoint = Endpoint(*(status(503) for _ in range(4)))
    report = inspect_take(take, request, judge=_judge(endpoint), spec=PROMPT_SPEC)
    extra = [f for f in report.findings if f not in pixels.findings]
    assert [(f.check, f.severity) for f in extra] == [("judge", "warn")]
    assert "HTTP 503 after retries" in extra[0].message and KEY not in extra[0].message
    assert report.passed == pixels.passed and report.camera == pixels.camera


def test_a_judge_that_raises_cannot_crash_inspection(
    take: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    judge = _judge(Endpoint())

    def broken(path: Path, spec: JudgeSpec) -> None:
        raise RuntimeError(f"bug in the judge, key {KEY}")

    monkeypatch.setattr(judge, "judge", broken)
    report = inspect_take(take, _request(), judge=judge, spec=SPEC)
    (warn,) = [f for f in report.findings if f.check == "judge"]
    assert warn.severity == "warn" and "bug in the judge" in warn.message
    assert KEY not in warn.message
    assert report.camera is not None


def test_no_judge_without_a_request_to_judge_against(take: Path) -> None:
    endpoint = Endpoint()
    report = inspect_take(take, None, judge=_judge(endpoint))
    assert endpoint.requests == [] and not report.findings
