"""Reference stills: one per character, and optionally one keyframe per shot, before approval.

The craft's most reliable consistency method is a still of each character made first and then
handed to image-to-video. Stills cost cents and clips cost dollars, so they are made before the
gate and shown there with their price. The local `card` provider draws a free character card
(for the person to check the bible); keyframes, which become first frames of image-to-video
clips, are made only by a real text-to-image model, because a drawn card as a first frame would
turn a photographic clip into a drawing.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from director.config import Settings
from director.film import Character
from director.ledger import Ledger, LedgerEntry
from director.plan import Plan, PlannedShot
from director.project import Project, slugify
from director.tools import catalog
from director.tools.providers.images import ImageProvider, make_image_provider, still_prompt

CARD_SIZE = (640, 360)
"""Character cards are drawn at this size: enough to read, cheap to draw."""


def image_provider(settings: Settings, project: Project) -> ImageProvider:
    return make_image_provider(settings.image_provider, project.stills_dir)


def keyframes_wanted(settings: Settings) -> bool:
    """Keyframes need a real image model (see the module docstring)."""
    return settings.keyframes and settings.image_provider != "card"


def _size(plan: Plan, provider: ImageProvider) -> tuple[int, int]:
    if provider.name == "card" or not plan.shots:
        return CARD_SIZE
    first = plan.shots[0]
    return catalog.size(catalog.get(first.model), plan.brief.aspect_ratio, plan.brief.resolution)


async def make_references(
    plan: Plan, project: Project, settings: Settings, ledger: Ledger
) -> Plan:
    """Character stills (and keyframes when wanted) for `plan`, each made once per project and
    recorded in the ledger with its cost; returns the plan with their paths."""
    provider = image_provider(settings, project)
    size = _size(plan, provider)
    price = provider.model.usd_per_image
    limit = asyncio.Semaphore(2)

    async def make(kind: str, index: int, prompt: str, dest: Path, seed: int) -> str:
        if not dest.exists():
            async with limit:
                await provider.generate(prompt, size=size, dest=dest, seed=seed)
            ledger.append(
                LedgerEntry(
                    kind=kind,
                    shot=index,
                    attempt=1,
                    cost_usd=price,
                    data={"model": provider.model.id, "path": str(dest.relative_to(project.root))},
                )
            )
        return str(dest.relative_to(project.root))

    def character_still(i: int, character: Character) -> asyncio.Task[str]:
        dest = project.stills_dir / f"character_{slugify(character.name) or i}.png"
        prompt = still_prompt(character, plan.look)
        return asyncio.ensure_future(make("still", i, prompt, dest, seed=i))

    stills = [character_still(i, c) for i, c in enumerate(plan.characters)]
    references = dict(
        zip((c.name for c in plan.characters), await asyncio.gather(*stills), strict=True)
    )
    shots: list[PlannedShot] = list(plan.shots)
    if keyframes_wanted(settings):

        async def keyframe(s: PlannedShot) -> PlannedShot:
            if not catalog.get(s.model).first_frame:
                return s
            dest = project.stills_dir / f"keyframe{s.index:02d}.png"
            path = await make("keyframe", s.index, s.spec.text(), dest, seed=s.seed)
            return s.model_copy(update={"keyframe": path})

        shots = list(await asyncio.gather(*(keyframe(s) for s in shots)))
    count = len(references) + sum(1 for s in shots if s.keyframe)
    return plan.model_copy(
        update={
            "shots": shots,
            "references": references,
            "stills_usd": round(price * count, 4),
        }
    )
