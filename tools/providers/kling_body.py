"""The Kling request body and error codes, exactly as providers.md §1 documents them.

Kept apart from the adapter so the body can be tested as data: `duration` is a string,
`image`/`image_tail` are URLs or raw base64 without a `data:` prefix, `aspect_ratio` goes to
text-to-video only, `multi_prompt` segments carry 1-based `index` and string durations.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import httpx

from director.errors import ProviderError
from director.film import CAMERA_AXES, GenerationRequest
from director.tools.catalog import ModelSpec
from director.tools.providers.retry import RETRY_STATUSES

MAX_IMAGE_BYTES = 10 * 1024 * 1024
"""Kling takes images up to 10 MB."""
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
"""Image formats Kling takes."""

MODES = ("std", "pro")
"""`mode` values Kling documents (a 4k mode appears only in third-party clients)."""
AUTH_CODES = range(1000, 1005)
"""Token missing, invalid, not yet valid or expired: sign a new one."""
RETRY_CODES = frozenset({1302, 1303, 5000, 5001, 5002})
"""Rate limit, concurrency over the resource pack, server error, maintenance, timeout."""
POLICY_CODES = frozenset({1300, 1301})
"""Platform policy or content-safety refusals: the prompt or image must change."""
PARAM_CODES = range(1200, 1204)
"""Bad parameters, bad method or unknown resource."""
ACCOUNT_CODES = frozenset({1100, 1101, 1102, 1103, 1304})
"""Account abnormal, in arrears, resource pack used up, no permission, IP whitelist."""


def endpoint(request: GenerationRequest) -> str:
    """"image2video" when a first or last frame conditions the clip, else "text2video"."""
    return "image2video" if request.first_frame or request.last_frame else "text2video"


def encode_image(ref: str, field: str) -> str:
    """A Kling image value: an http(s) URL as is, a data: URL or local file as raw base64."""
    if ref.startswith(("https://", "http://")):
        return ref
    if ref.startswith("data:"):
        head, _, payload = ref.partition(",")
        if head.lower() not in ("data:image/png;base64", "data:image/jpeg;base64",
                                "data:image/jpg;base64") or not payload:
            raise ProviderError(f"kling {field}: the data URL must hold a base64 jpg or png")
        return payload
    path = Path(ref[len("file://"):] if ref.startswith("file://") else ref)
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        raise ProviderError(f"kling {field}: {path.name} is not a jpg or png")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ProviderError(f"kling {field}: cannot read {path}: {exc.strerror}") from None
    if len(data) > MAX_IMAGE_BYTES:
        raise ProviderError(f"kling {field}: {path.name} is over 10 MB")
    return base64.b64encode(data).decode("ascii")


def _whole(seconds: float) -> str:
    return str(round(seconds))


def build_body(request: GenerationRequest, spec: ModelSpec, external_task_id: str) -> dict:
    """The JSON body for POST /v1/videos/{endpoint(request)}."""
    body: dict[str, Any] = {
        "model_name": spec.api_name,
        "mode": spec.mode or "std",
        "duration": _whole(request.duration_s),
        "external_task_id": external_task_id,
    }
    if request.multi_prompt:
        body["multi_shot"] = True
        body["shot_type"] = "customize"
        body["multi_prompt"] = [
            {"index": i, "prompt": seg.prompt, "duration": _whole(seg.duration_s)}
            for i, seg in enumerate(request.multi_prompt, 1)
        ]
    else:
        body["prompt"] = request.prompt
    if request.negative_prompt:
        body["negative_prompt"] = request.negative_prompt
    if spec.audio:  # "V2.6 and later" only; older models do not know the field
        body["sound"] = "on" if request.audio else "off"
    if endpoint(request) == "text2video":
        body["aspect_ratio"] = request.aspect_ratio
    if request.first_frame:
        body["image"] = encode_image(request.first_frame, "first_frame")
    if request.last_frame:
        body["image_tail"] = encode_image(request.last_frame, "last_frame")
    control = request.camera_control
    if control is not None:
        body["camera_control"] = {"type": control.type}
        if control.type == "simple":
            body["camera_control"]["config"] = {
                axis: float(getattr(control, axis)) for axis in CAMERA_AXES
            }
    if request.element_ids:
        body["element_list"] = [{"element_id": e} for e in request.element_ids]
    return body


def envelope(response: httpx.Response) -> tuple[int | None, str, dict]:
    """(code, message, data) of a Kling response; code None when the body is not the envelope."""
    try:
        payload = response.json()
    except ValueError:
        return None, "", {}
    if not isinstance(payload, dict) or not isinstance(payload.get("code"), int):
        return None, "", {}
    data = payload.get("data")
    message = str(payload.get("message") or "")
    request_id = payload.get("request_id")
    if request_id:
        message = f"{message} (request {request_id})"
    return payload["code"], message, data if isinstance(data, dict) else {}


def should_retry(response: httpx.Response) -> bool:
    """Retry Kling's transient codes; never the 429s that mean the account is out of credit."""
    code, _, _ = envelope(response)
    if code is None:
        return response.status_code in RETRY_STATUSES
    return code in RETRY_CODES


def error_for(response: httpx.Response, action: str) -> ProviderError:
    """The ProviderError for a failed Kling call, classified by its code."""
    code, message, _ = envelope(response)
    what = f"kling {action}: HTTP {response.status_code}"
    if code is None:
        retryable = response.status_code >= 500 or response.status_code in (408, 429)
        if response.status_code in (401, 403):
            return ProviderError(f"{what} without a Kling error body; check KLING_ACCESS_KEY "
                                 "and KLING_SECRET_KEY")
        return ProviderError(f"{what} without a Kling error body", retryable=retryable)
    what = f"{what} code {code}: {message}"
    if code in RETRY_CODES:
        return ProviderError(f"{what} (still failing after retries)", retryable=True)
    if code in POLICY_CODES:
        return ProviderError(f"{what}; change the prompt or image", policy=True)
    if code in AUTH_CODES:
        return ProviderError(f"{what}; check KLING_ACCESS_KEY and KLING_SECRET_KEY")
    if code in ACCOUNT_CODES:
        return ProviderError(f"{what}; the Kling account cannot run this task")
    return ProviderError(what, retryable=False)
