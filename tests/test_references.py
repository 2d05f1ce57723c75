"""Reference stills before approval: character cards offline, keyframes as first frames."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from fakes.openai_server import OpenAIFake
from PIL import Image

from director.config import Settings
from director.film import Brief
from director.ledger import Ledger
from director.project import Project
from director.ui.runner import make_context, run_project

BRIEF = Brief(
    title="Night market",
    text=(
        "Mara, a courier in her late 20s with a cropped silver bob, grey eyes and a yellow "
        "nylon rain shell, locks her bike outside a night market, then weaves between the stalls."
    ),
    target_duration_s=8,
)


def test_character_cards_are_shown_at_the_gate_for_free(tmp_path: Path) -> None:
    project = Project(tmp_path / "p")
    ctx = make_context(project, Settings(), auto_approve=False)
    outcome = asyncio.run(run_project(project, ctx, brief=BRIEF))
    assert outcome.status == "awaiting_approval"
    references = outcome.question["references"]
    assert list(references) == ["Mara"]
    card = project.root / references["Mara"]
    assert Image.open(card).size == (640, 360)
    assert outcome.question["stills_usd"] == 0.0
    # A drawn card is never sent to a video model as a first frame.
    assert all(not s.keyframe for s in outcome.state.plan.shots)


@pytest.fixture
def openai_fake():
    fake = OpenAIFake(steps=2)
    fake.start()
    yield fake
    fake.stop()


def test_keyframes_from_an_image_model_become_first_frames(
    tmp_path: Path, openai_fake: OpenAIFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", openai_fake.key)
    monkeypatch.setenv("OPENAI_BASE_URL", openai_fake.api_base)
    project = Project(tmp_path / "p")
    settings = Settings(image_provider="openai", keyframes=True, poll_interval_s=0.02)
    ctx = make_context(project, settings, auto_approve=True, provider="openai", brain="rules")
    outcome = asyncio.run(run_project(project, ctx, brief=BRIEF))
    plan = outcome.state.plan
    assert plan.references and all((project.root / p).is_file() for p in plan.references.values())
    assert all(s.keyframe for s in plan.shots)
    ledger = Ledger(project.ledger_path).entries()
    stills = [e for e in ledger if e.kind in ("still", "keyframe")]
    assert len(stills) == len(plan.references) + len(plan.shots)
    assert plan.stills_usd == pytest.approx(sum(e.cost_usd for e in stills))
    assert plan.stills_usd > 0
    # Every first take was sent as image-to-video with its keyframe as the reference image.
    creates = openai_fake.routed("create")
    assert len(creates) >= len(plan.shots)
    for result in outcome.state.results.values():
        first = result.takes[0].request
        assert first.first_frame.endswith(f"keyframe{result.index:02d}.png")
    assert all(
        "input_reference" in r.form() or "input_reference[image_url]" in r.form() for r in creates
    )
    assert outcome.state.cut is not None
