"""The model catalog: the matrix is complete, prices are right, the router honours its rules."""

from __future__ import annotations

import pytest

from director.errors import BudgetError, DirectorError
from director.tools import catalog

FIVE_TEN = [5.0, 10.0]
V3 = [float(s) for s in range(3, 16)]
SORA = [4.0, 8.0, 12.0]

# (id, durations, 5 s silent price (4 s for sora), text-to-video)
MATRIX = [
    ("kling-v1-std", FIVE_TEN, 0.14, True),
    ("kling-v1-pro", FIVE_TEN, 0.49, True),
    ("kling-v1-5-std", FIVE_TEN, 0.28, False),
    ("kling-v1-5-pro", FIVE_TEN, 0.49, False),
    ("kling-v1-6-std", FIVE_TEN, 0.28, True),
    ("kling-v1-6-pro", FIVE_TEN, 0.49, True),
    ("kling-v2-master", FIVE_TEN, 1.40, True),
    ("kling-v2-1-master", FIVE_TEN, 1.40, True),
    ("kling-v2-1-std", FIVE_TEN, 0.28, False),
    ("kling-v2-1-pro", FIVE_TEN, 0.49, False),
    ("kling-v2-5-turbo-std", FIVE_TEN, 0.21, True),
    ("kling-v2-5-turbo-pro", FIVE_TEN, 0.35, True),
    ("kling-v2-6-std", FIVE_TEN, 0.21, True),
    ("kling-v2-6-pro", FIVE_TEN, 0.35, True),
    ("kling-v3-std", V3, 0.42, True),
    ("kling-v3-pro", V3, 0.56, True),
    ("kling-v3-4k", V3, 2.10, True),
    ("sora-2", SORA, 0.40, True),
    ("sora-2-pro", SORA, 1.20, True),
    ("animatic", [1.0 + 0.5 * i for i in range(39)], 0.0, True),
]


@pytest.mark.parametrize(
    ("model_id", "durations", "usd", "t2v"), MATRIX, ids=[m[0] for m in MATRIX]
)
def test_matrix_model(model_id: str, durations: list[float], usd: float, t2v: bool) -> None:
    spec = catalog.get(model_id)
    assert spec.durations == durations
    assert spec.text_to_video is t2v
    first = 4.0 if spec.family == "sora" else 5.0
    assert catalog.price(spec, first, audio=False) == pytest.approx(usd)


def test_catalog_has_exactly_the_matrix() -> None:
    assert {m.id for m in catalog.models()} == {m[0] for m in MATRIX}


@pytest.mark.parametrize(
    ("model_id", "seconds", "audio", "resolution", "usd"),
    [
        ("kling-v2-6-pro", 10, True, "720p", 1.40),  # per 5 s clip, doubled, audio price
        ("kling-v2-6-pro", 5, False, "720p", 0.35),
        ("kling-v2-master", 10, False, "720p", 2.80),
        ("kling-v3-pro", 5, False, "720p", 0.56),
        ("kling-v3-pro", 5, True, "720p", 0.84),
        ("kling-v3-std", 7, True, "720p", 0.882),
        ("sora-2", 8, True, "720p", 0.80),
        ("sora-2-pro", 8, False, "720p", 2.40),
        ("sora-2-pro", 8, False, "1080p", 4.00),  # 1792x1024 at $0.50/s
        ("kling-v2-6-std", 5, True, "720p", 0.21),  # no audio on std: billed silent
        ("animatic", 20, True, "1080p", 0.0),
    ],
)
def test_prices(model_id: str, seconds: float, audio: bool, resolution: str, usd: float) -> None:
    assert catalog.price(catalog.get(model_id), seconds, audio, resolution) == pytest.approx(usd)


def test_estimate_sums_takes() -> None:
    items = [(catalog.get("kling-v2-6-pro"), 10.0, True), (catalog.get("sora-2"), 8.0, False)]
    assert catalog.estimate(items) == pytest.approx(2.20)
    assert catalog.estimate([]) == 0


def test_capabilities_from_the_reference() -> None:
    v26std, v26pro = catalog.get("kling-v2-6-std"), catalog.get("kling-v2-6-pro")
    assert not v26std.audio and v26pro.audio and v26pro.audio_needs_pro
    assert v26pro.last_frame_silent_only
    v3 = catalog.get("kling-v3-pro")
    assert v3.multi_shot and v3.max_shots == 6 and v3.segment_chars == 512
    assert not catalog.get("kling-v3-4k").verified
    sora = catalog.get("sora-2")
    assert "1:1" not in sora.aspect_ratios and not sora.negative_prompt and not sora.last_frame
    animatic = catalog.get("animatic")
    assert animatic.fps == 24 and animatic.first_frame and animatic.last_frame
    assert catalog.size(catalog.get("kling-v2-6-std"), "9:16", "720p") == (720, 1280)
    assert catalog.size(v3, "1:1", "1080p") == (1080, 1080)
    # A 720p-only model asked for 1080p delivers what it has.
    assert catalog.size(v26std, "16:9", "1080p") == (1280, 720)
    with pytest.raises(DirectorError, match="1:1"):
        catalog.size(sora, "1:1", "720p")


def test_table_is_well_formed() -> None:
    for spec in catalog.models():
        assert spec.durations == sorted(spec.durations)
        assert spec.providers, spec.id
        assert set(spec.tiers) <= {"draft", "final"}


def test_get_unknown_lists_close_matches() -> None:
    assert catalog.get("kling-v2.6-pro").id == "kling-v2-6-pro"
    with pytest.raises(DirectorError, match="kling-v2-6-pro"):
        catalog.get("kling-v2-6")


# ---- routing -----------------------------------------------------------------------------------


def test_choose_honours_tier() -> None:
    draft = catalog.choose("draft", "kling", aspect_ratio="16:9", audio=False, duration_s=5)
    final = catalog.choose("final", "kling", aspect_ratio="16:9", audio=False, duration_s=5)
    assert draft.id in {"kling-v2-6-std", "kling-v2-5-turbo-std"}
    assert final.id == "kling-v3-pro"
    assert catalog.choose("final", "openai", aspect_ratio="16:9", audio=True).id == "sora-2-pro"
    assert catalog.choose("draft", "openai", aspect_ratio="9:16", audio=True).id == "sora-2"


def test_choose_honours_aspect() -> None:
    with pytest.raises(DirectorError, match="1:1"):
        catalog.choose("final", "openai", aspect_ratio="1:1", audio=False)
    assert catalog.choose("final", "kling", aspect_ratio="1:1", audio=False).id == "kling-v3-pro"


def test_choose_honours_audio_and_duration() -> None:
    spec = catalog.choose("draft", "kling", aspect_ratio="9:16", audio=True, duration_s=5)
    assert spec.audio
    assert catalog.choose("draft", "kling", aspect_ratio="16:9", audio=False,
                          duration_s=3).id == "kling-v3-std"
    with pytest.raises(DirectorError, match="7 s"):
        catalog.choose("draft", "openai", aspect_ratio="16:9", audio=False, duration_s=7)


def test_choose_needs_first_frame_for_image_only_models() -> None:
    for tier in ("draft", "final"):
        spec = catalog.choose(tier, "kling", aspect_ratio="16:9", audio=False)
        assert spec.text_to_video


def test_choose_honours_budget() -> None:
    spec = catalog.choose("final", "kling", aspect_ratio="16:9", audio=False, duration_s=5,
                          budget_left_usd=0.40)
    assert catalog.price(spec, 5, False) <= 0.40
    assert spec.id != "kling-v3-pro"
    with pytest.raises(BudgetError, match=r"\$0\.14"):
        catalog.choose("final", "kling", aspect_ratio="16:9", audio=False, duration_s=5,
                       budget_left_usd=0.10)
    with pytest.raises(BudgetError, match=r"\$0\.40"):
        catalog.choose("draft", "openai", aspect_ratio="16:9", audio=False, duration_s=4,
                       budget_left_usd=0.10)


def test_animatic_always_for_the_local_provider() -> None:
    for tier in ("draft", "final"):
        spec = catalog.choose(tier, "animatic", aspect_ratio="1:1", audio=True, duration_s=7.5,
                              budget_left_usd=0.0)
        assert spec.id == "animatic"
    assert catalog.default_model("final", "animatic").id == "animatic"


def test_the_simulator_routes_like_the_real_services() -> None:
    # sim stands in for every service: tiers pick real models with real prices.
    draft = catalog.choose("draft", "sim", aspect_ratio="16:9", audio=False, duration_s=5)
    final = catalog.choose("final", "sim", aspect_ratio="16:9", audio=False, duration_s=5)
    assert draft.family != "animatic" and final.family != "animatic"
    assert final.quality > draft.quality
    assert catalog.price(final, 5, False) > catalog.price(draft, 5, False) > 0
    assert all("sim" in m.providers and m.providers[0] != "sim" for m in catalog.models())
    assert catalog.get("animatic").providers == ["animatic", "sim"]


def test_unknown_provider_and_tier() -> None:
    with pytest.raises(DirectorError, match="kling"):
        catalog.choose("draft", "runway", aspect_ratio="16:9", audio=False)
    with pytest.raises(DirectorError, match="draft or final"):
        catalog.choose("best", "kling", aspect_ratio="16:9", audio=False)


def test_default_model_gives_durations() -> None:
    assert catalog.default_model("draft", "openai").durations == SORA
    assert catalog.default_model("final", "kling").durations == V3
