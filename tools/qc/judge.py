"""Optional vision judge: an OpenAI-compatible vision model looks at a take and says, element by
element, whether it shows what the shot asked for.

Two calls, as reference/qc.md recommends. First a blind caption: the model describes eight frames
without seeing the prompt, so what it reports is not suggested by the spec. Then the verdict: the
same frames, the spec and the blind caption, with one {ok, observed, reason} per element
(subject, action, environment, lighting, atmosphere) in a strict JSON schema. The judge never
rules on the camera: camera verdicts come from the pixels (motion.py), where VLMs are weak.

A failed element becomes Finding(check="judge:<element>", variable=<element>), so the retake
changes that one variable. Anything that goes wrong with the model (refusal, rate limit that
outlasts the retries, server error, timeout, truncated or malformed JSON) becomes one warn
Finding: the judge is advice and never stops a run. The API key lives only in the SDK client;
messages are scrubbed of it.
"""

from __future__ import annotations

import base64
import io
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar, get_args
from urllib.parse import urlsplit, urlunsplit

import av
import httpx
import openai
import pydantic
from openai import OpenAI
from pydantic import BaseModel, ConfigDict, Field
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from director.config import env_int, env_number
from director.errors import DirectorError
from director.film import Finding
from director.tools.qc.judge_spec import NOT_SPECIFIED, JudgeSpec

Element = Literal["subject", "action", "environment", "lighting", "atmosphere"]
ELEMENTS: tuple[Element, ...] = get_args(Element)
OPENAI_URL = "https://api.openai.com/v1"
FRAMES = 8
"""Frames sampled evenly (segment midpoints) from each take."""
LONG_SIDE = 512
"""Long side of each frame sent, in pixels (low detail: about 85 tokens a frame)."""
_NO_KEY = "no-key"  # local servers take no key, but the SDK insists on one
_KEY_LIKE = re.compile(r"\b(sk|key|tok)[-_][A-Za-z0-9_\-]{8,}")


class _Schema(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class BlindCaption(_Schema):
    """What the frames show, described without knowing what was asked for."""

    subject: str
    """Who or what the frames are about, with visible appearance and clothing."""
    action: str
    """What the subject does across the frames, in order."""
    environment: str
    """The place and time of day."""
    lighting: str
    """Where the key light comes from (camera-left, camera-right, front, behind, top) and its
    colour."""
    atmosphere: str
    """Palette, texture, weather and mood as physically seen."""


class ElementVerdict(_Schema):
    """The verdict on one element of the shot."""

    ok: bool
    """True when the frames show what the spec asks for this element."""
    observed: str
    """What the frames actually show for this element, in a few words."""
    reason: str
    """Why it passes or fails, naming the mismatch when it fails."""


class JudgeVerdict(_Schema):
    """One verdict per element; camera movement and framing are not judged here."""

    subject: ElementVerdict
    """Is the subject the one asked for, with the stated appearance and clothing?"""
    action: ElementVerdict
    """Does the subject perform the one action asked for?"""
    environment: ElementVerdict
    """Is the place and time of day the one asked for?"""
    lighting: ElementVerdict
    """Does the key light come from the stated side, with the stated colour?"""
    atmosphere: ElementVerdict
    """Do palette, texture and mood match the spec?"""


class JudgeResult(BaseModel):
    """What the judge saw and the findings it raises."""

    caption: BlindCaption | None = None
    """The blind caption, when the first call succeeded."""
    verdict: JudgeVerdict | None = None
    """The per-element verdict, when the second call succeeded."""
    findings: list[Finding] = Field(default_factory=list)
    """Failed elements (fail) or why the judge could not rule (one warn)."""


@dataclass(frozen=True)
class JudgeSettings:
    """Which vision model judges takes, and how patiently. Holds no secret."""

    model: str
    """DIRECTOR_VISION_MODEL: a vision-capable model the endpoint serves."""
    base_url: str = OPENAI_URL
    """OPENAI_BASE_URL: the OpenAI-compatible endpoint."""
    timeout_s: float = 60.0
    """DIRECTOR_LLM_TIMEOUT_S: seconds one request may take."""
    retries: int = 3
    """DIRECTOR_LLM_RETRIES: extra tries after a 429 or a 5xx (nothing else is retried)."""
    backoff_s: float = 1.0
    """DIRECTOR_LLM_BACKOFF_S: first wait between tries, doubling (at most 30 s)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> JudgeSettings | None:
        """Settings when a vision model and an endpoint (key or base URL) are configured."""
        model = env.get("DIRECTOR_VISION_MODEL", "").strip()
        key, url = env.get("OPENAI_API_KEY", "").strip(), env.get("OPENAI_BASE_URL", "").strip()
        if not model or not (key or url):
            return None
        return cls(
            model=model,
            base_url=url or OPENAI_URL,
            timeout_s=env_number("DIRECTOR_LLM_TIMEOUT_S", 60.0, env=env) or 60.0,
            retries=env_int("DIRECTOR_LLM_RETRIES", 3, 0, 10, env=env),
            backoff_s=env_number("DIRECTOR_LLM_BACKOFF_S", 1.0, env=env),
        )

    @property
    def endpoint(self) -> str:
        """The base URL without userinfo or query, safe to show."""
        parts = urlsplit(self.base_url)
        host = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
        return urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))


def make_judge(
    settings_or_env: JudgeSettings | Mapping[str, str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    http_client: httpx.Client | None = None,
) -> Judge | None:
    """The judge configured by the environment, or None when no vision model is set up.

    The key is read from `env` (default os.environ) and handed to the SDK client only. The SDK's
    own retries are off: the judge retries 429 and 5xx itself. `http_client` is for tests.
    """
    env = os.environ if env is None else env
    if isinstance(settings_or_env, JudgeSettings):
        settings: JudgeSettings | None = settings_or_env
    else:
        settings = JudgeSettings.from_env(env if settings_or_env is None else settings_or_env)
        if settings_or_env is not None:
            env = settings_or_env
    if settings is None:
        return None
    key = env.get("OPENAI_API_KEY", "").strip()
    client = OpenAI(
        api_key=key or _NO_KEY,
        base_url=settings.base_url,
        timeout=settings.timeout_s,
        max_retries=0,
        http_client=http_client,
    )
    return Judge(client, settings)


def sample_frames(path: Path, count: int = FRAMES, long_side: int = LONG_SIDE) -> list[str]:
    """`count` frames at the midpoints of equal segments of the clip, as JPEG data URLs."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        total = sum(1 for p in container.demux(stream) if p.size)
    if total == 0:
        raise DirectorError(f"{path.name} holds no video frames")
    wanted = sorted({min(total - 1, int((k + 0.5) * total / count)) for k in range(count)})
    urls: list[str] = []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for i, frame in enumerate(container.decode(stream)):
            if i in wanted:
                image = frame.to_image()
                image.thumbnail((long_side, long_side))
                buf = io.BytesIO()
                image.save(buf, format="JPEG", quality=85)
                urls.append("data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode())
            if len(urls) == len(wanted):
                break
    return urls


_BLIND = (
    "These are {n} frames sampled evenly, in order, from one video clip. Describe only what "
    "is visible: the subject and its appearance, what it does across the frames, the place and "
    "time of day, where the key light comes from and its colour, and the palette and texture. "
    "Do not guess at anything not shown."
)
_VERDICT = (
    "These are the same {n} frames. The shot asked for:\n{spec}\n\nAn observer who had not "
    "seen the request described the frames as:\n{caption}\n\nFor each element, say whether the "
    "frames show what was asked (ok), what they show (observed) and why (reason). Judge only "
    "what is visible; a small difference in wording is not a failure. An element asked for as "
    f"'{NOT_SPECIFIED}' passes. Do not judge camera movement or framing: that is measured "
    "elsewhere."
)
_SYSTEM = "You are a script supervisor checking video takes against the shot list."

T = TypeVar("T", bound=BaseModel)


class Judge:
    """A vision model behind an injected OpenAI client."""

    def __init__(self, client: OpenAI, settings: JudgeSettings) -> None:
        self.client = client
        self.settings = settings

    def describe(self) -> str:
        return f"{self.settings.model} at {self.settings.endpoint}"

    def judge(self, path: Path | str, spec: JudgeSpec) -> JudgeResult:
        """Caption the take blind, then rule on each element of `spec`. Never raises."""
        path = Path(path)
        try:
            images = sample_frames(path)
        except (DirectorError, av.FFmpegError, OSError, IndexError) as exc:
            return JudgeResult(findings=[self.warning(f"cannot sample frames of {path.name}", exc)])
        n = len(images)
        try:
            caption = self._call(_BLIND.format(n=n), images, BlindCaption)
        except _Failed as exc:
            return JudgeResult(findings=[self.warning("blind caption failed", exc.cause)])
        spec_text = "\n".join(f"- {e}: {getattr(spec, e)}" for e in ELEMENTS)
        caption_text = "\n".join(f"- {e}: {getattr(caption, e)}" for e in ELEMENTS)
        try:
            verdict = self._call(
                _VERDICT.format(n=n, spec=spec_text, caption=caption_text), images, JudgeVerdict
            )
        except _Failed as exc:
            return JudgeResult(
                caption=caption, findings=[self.warning("verdict failed", exc.cause)]
            )
        findings = [
            Finding(
                check=f"judge:{e}",
                message=self._scrub(
                    f"{e} does not match: {v.reason} "
                    f"(seen: {v.observed}; asked: {getattr(spec, e)})"
                ),
                variable=e,
            )
            for e in ELEMENTS
            if not (v := getattr(verdict, e)).ok and spec.specified(e)
        ]
        return JudgeResult(caption=caption, verdict=verdict, findings=findings)

    def _call(self, text: str, images: list[str], schema: type[T]) -> T:
        content: list[dict[str, object]] = [{"type": "text", "text": text}]
        content += [{"type": "image_url", "image_url": {"url": u, "detail": "low"}} for u in images]
        retrying = Retrying(
            retry=retry_if_exception(_retryable),
            stop=stop_after_attempt(self.settings.retries + 1),
            wait=wait_exponential(multiplier=self.settings.backoff_s, max=30),
            reraise=True,
        )
        try:
            completion = retrying(
                self.client.chat.completions.parse,
                model=self.settings.model,
                messages=[
                    {"role": "system", "content": _SYSTEM},
                    {"role": "user", "content": content},
                ],
                response_format=schema,
                temperature=0,
            )
        except (openai.OpenAIError, pydantic.ValidationError, ValueError) as exc:
            raise _Failed(exc) from exc
        message = completion.choices[0].message
        if message.refusal:
            raise _Failed(_Refusal(message.refusal))
        if message.parsed is None:
            raise _Failed(ValueError("the reply held no parsable verdict"))
        return message.parsed

    def warning(self, what: str, exc: BaseException) -> Finding:
        """The one warn finding that says the judge could not rule, and why (key scrubbed)."""
        return Finding(
            check="judge",
            severity="warn",
            message=self._scrub(f"vision judge ({self.describe()}): {what}: {_reason(exc)}"),
            variable="params",
        )

    def _scrub(self, text: str) -> str:
        key = self.client.api_key
        if key and key != _NO_KEY:
            text = text.replace(key, "***")
        return _KEY_LIKE.sub("***", text)


class _Failed(Exception):
    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


class _Refusal(Exception):
    """The model declined to answer."""


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, openai.APIStatusError) and (
        exc.status_code == 429 or exc.status_code >= 500
    )


def _reason(exc: BaseException) -> str:
    if isinstance(exc, _Refusal):
        return f"the model refused ({_one_line(str(exc))})"
    if isinstance(exc, openai.LengthFinishReasonError):
        return "the reply was cut off before the JSON ended (token limit)"
    if isinstance(exc, openai.APITimeoutError):
        return "the request timed out"
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code}" + (" after retries" if _retryable(exc) else "")
    if isinstance(exc, openai.APIConnectionError):
        return "the endpoint could not be reached"
    if isinstance(exc, pydantic.ValidationError):
        return f"the reply did not match the schema ({exc.error_count()} errors)"
    return _one_line(str(exc)) or type(exc).__name__


def _one_line(text: str) -> str:
    return " ".join(text.split())[:200]
