"""Capability guards refuse what a model would ignore or reject, naming the model and the field."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from director.errors import ProviderError
from director.film import CameraControl, GenerationRequest, ShotSegment
from director.tools import catalog
from director.tools.providers.guards import check_request


def request(model: str, **update: object) -> GenerationRequest:
    spec = catalog.get(model)
    aspect = str(update.get("aspect_ratio", "16:9"))
    resolution = next(iter(spec.resolutions))
    width, height = spec.resolutions[resolution].get(aspect, (1280, 720))
    fields: dict[str, object] = {
        "shot_index": 0,
        "model": spec.id,
        "provider": spec.providers[0],
        "prompt": "A chef plates a dish, slow dolly-in, 85mm, key light from camera-left.",
        "duration_s": spec.durations[0],
        "width": width,
        "height": height,
        "fps": spec.fps,
    }
    fields.update(update)
    return GenerationRequest.model_validate(fields)


def refused(req: GenerationRequest) -> str:
    with pytest.raises(ProviderError) as caught:
        check_request(req)
    assert caught.value.retryable is False
    assert not caught.value.policy
    return str(caught.value)


@pytest.mark.parametrize(
    ("model", "update", "field"),
    [
        ("kling-v2-6-std", {"last_frame": "https://x/tail.png"}, "last_frame"),
        ("kling-v2-6-std", {"audio": True}, "audio"),
        ("kling-v2-6-pro", {"audio": True, "last_frame": "https://x/t.png"}, "last_frame"),
        ("kling-v2-6-pro", {"duration_s": 7.0}, "duration_s"),
        ("kling-v3-pro", {"duration_s": 16.0}, "duration_s"),
        ("sora-2", {"aspect_ratio": "1:1", "width": 720, "height": 720}, "aspect_ratio"),
        ("kling-v2-6-pro", {"width": 1280, "height": 720}, "width/height"),
        ("kling-v2-6-pro", {"fps": 30}, "fps"),
        ("sora-2", {"negative_prompt": "blur"}, "negative_prompt"),
        ("kling-v2-6-pro", {"prompt": "x" * 2501}, "prompt"),
        ("kling-v2-6-pro", {"prompt": "   "}, "prompt"),
        ("kling-v2-1-pro", {}, "text-only"),
        ("kling-v2-1-master", {"last_frame": "https://x/t.png"}, "last_frame"),
        ("kling-v1-pro", {"duration_s": 10.0, "last_frame": "https://x/t.png"}, "last_frame"),
        ("kling-v2-6-pro", {"provider": "openai"}, "provider"),
        (
            "kling-v2-6-pro",
            {"multi_prompt": [ShotSegment(prompt="a", duration_s=5)]},
            "multi_prompt",
        ),
        (
            "kling-v2-6-pro",
            {"camera_control": CameraControl(type="simple", zoom=5)},
            "camera_control",
        ),
        ("kling-v2-6-pro", {"element_ids": ["e1"], "first_frame": "https://x/f.png"},
         "element_ids"),
    ],
)
def test_refuses_what_the_model_would_ignore(model: str, update: dict, field: str) -> None:
    message = refused(request(model, **update))
    assert model in message
    assert field in message


def test_std_tail_frame_message_points_at_pro() -> None:
    message = refused(request("kling-v2-6-std", last_frame="https://x/tail.png"))
    assert "pro" in message


def test_accepts_what_the_model_supports() -> None:
    check_request(request("kling-v2-6-pro", duration_s=10.0, audio=True))
    check_request(request("kling-v2-6-pro", last_frame="https://x/t.png"))
    check_request(request("kling-v3-std", duration_s=7.0, audio=True, negative_prompt="blur"))
    check_request(request("kling-v1-std", camera_control=CameraControl(type="simple", pan=-3)))
    check_request(request("kling-v1-std", camera_control=CameraControl(type="down_back")))
    check_request(
        request("kling-v1-5-pro", first_frame="https://x/f.png",
                camera_control=CameraControl(type="simple", zoom=2))
    )
    check_request(request("kling-v3-pro", first_frame="https://x/f.png", element_ids=["a", "b"]))
    assert check_request(request("sora-2", duration_s=8.0)).id == "sora-2"


def test_camera_control_rules_of_the_two_models_that_honour_it() -> None:
    preset = CameraControl(type="forward_up")
    assert "simple" in refused(
        request("kling-v1-5-pro", first_frame="https://x/f.png", camera_control=preset)
    )
    assert "tail frame" in refused(
        request("kling-v1-5-pro", camera_control=CameraControl(type="simple", zoom=2),
                first_frame="https://x/f.png", last_frame="https://x/t.png")
    )
    assert "5 s" in refused(
        request("kling-v1-std", duration_s=10.0, camera_control=CameraControl(type="down_back"))
    )
    assert "text-to-video" in refused(
        request("kling-v1-std", first_frame="https://x/f.png",
                camera_control=CameraControl(type="down_back"))
    )


def test_camera_control_itself_validates_one_axis() -> None:
    with pytest.raises(ValidationError):
        CameraControl(type="simple", pan=1, tilt=1)
    with pytest.raises(ValidationError):
        CameraControl(type="simple")
    with pytest.raises(ValidationError):
        CameraControl(type="down_back", zoom=1)
    with pytest.raises(ValidationError):
        CameraControl(type="simple", zoom=11)


def test_multi_shot_limits() -> None:
    def shots(*pairs: tuple[str, float]) -> list[ShotSegment]:
        return [ShotSegment(prompt=p, duration_s=d) for p, d in pairs]

    ok = request("kling-v3-pro", duration_s=5.0, prompt="", multi_prompt=shots(("a", 2), ("b", 3)))
    check_request(ok)
    too_many = request("kling-v3-pro", duration_s=7.0, multi_prompt=shots(*[("a", 1)] * 7))
    assert "7 shots" in refused(too_many)
    long_segment = request("kling-v3-pro", duration_s=5.0, multi_prompt=shots(("x" * 513, 5)))
    assert "multi_prompt[1].prompt" in refused(long_segment)
    wrong_sum = request("kling-v3-pro", duration_s=6.0, multi_prompt=shots(("a", 2), ("b", 3)))
    assert "add up to 5 s" in refused(wrong_sum)
    fractional = request("kling-v3-pro", duration_s=5.0,
                         multi_prompt=shots(("a", 2.5), ("b", 2.5)))
    assert "whole number" in refused(fractional)


def test_elements_need_image_to_video_and_at_most_three() -> None:
    assert "first_frame" in refused(request("kling-v3-pro", element_ids=["a"]))
    four = request("kling-v3-pro", first_frame="https://x/f.png", element_images=["1", "2", "3",
                                                                                 "4"])
    assert "4 elements" in refused(four)


def test_unknown_model_is_refused_not_crashed() -> None:
    req = request("kling-v2-6-pro").model_copy(update={"model": "kling-v9"})
    assert "kling-v9" in refused(req)


def test_animatic_keeps_its_own_size_rules() -> None:
    check_request(request("animatic", width=320, height=180, duration_s=2.0, fps=12))


def test_requests_recorded_before_the_service_fields_still_load() -> None:
    old = {"shot_index": 2, "attempt": 1, "model": "kling-v2-6-std", "provider": "kling",
           "prompt": "p", "duration_s": 5.0, "width": 1280, "height": 720}
    loaded = GenerationRequest.model_validate(old)
    assert loaded.camera_control is None and loaded.multi_prompt == []
    assert loaded.element_images == [] and loaded.element_ids == []
