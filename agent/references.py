"""Reference stills: one per character, and optionally one keyframe per shot, before approval.

The craft's most reliable consistency method is a still of each character made first and then
handed to image-to-video. Stills cost cents and clips cost dollars, so they are made before the
gate and shown there with their price. The local `card` provider draws a free character card
(for the person to check the bible); keyframes, which become first frames of image-to-video
clips, are made only by a real text-to-image model, because a drawn card as a first frame would
turn a photographic clip into a drawing.

A character the brief gives a reference image of (`Character.reference_images`, a URL or a
local file) keeps that image as its still instead of a generated one: the first of them is
fetched or read safely (tools/fetch.py), saved as a PNG in the stills folder, and recorded in
the ledger at no cost. Only the images the brief itself names count; any a planner added are
ignored, so a model cannot make the director fetch something. Supplied images are taken before
anything is generated, and a failure stops the run with the character's name and the reason
(nothing has been paid for yet; resume retries it): a person who gave a picture of their actor
would not want a generated stranger in its place.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import httpx

from director.config import Settings
from director.errors import BriefError, DirectorError, ProviderError
from director.film import Character
from director.ledger import Ledger, LedgerEntry
from director.plan import Plan, PlannedShot
from director.project import Project, slugify
from director.tools import catalog
from director.tools.fetch import Resolver, is_url, save_reference, system_resolver
from director.tools.providers.images import ImageProvider, make_image_provider, still_prompt
from director.tools.providers.retry import where

log = logging.getLogger(__name__)

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


def supplied_images(plan: Plan) -> dict[str, str]:
    """Character name -> the reference image the brief names for it (the first one given),
    for characters of the plan only. Images a planner put on a character are not counted."""
    given = {_key(c.name): c.reference_images for c in plan.brief.characters}
    chosen: dict[str, str] = {}
    for c in plan.characters:
        sources = [s.strip() for s in given.get(_key(c.name), []) if s.strip()]
        if sources:
            chosen[c.name] = sources[0]
        elif c.reference_images:
            log.warning("ignoring reference images of %s that the brief does not give", c.name)
    return chosen


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _shown(source: str) -> str:
    """A source for the ledger: a URL's host and path (its query may hold a token), or a local
    file's name."""
    return where(source) if is_url(source) else Path(source).name


def still_slug(plan: Plan, i: int) -> str:
    """The file-name slug of character i: its name's slug, with its number added when an
    earlier character's name slugs the same ("Ana!" and "Ana?"), so no two share a still."""
    slug = slugify(plan.characters[i].name)
    earlier = {slugify(c.name) for c in plan.characters[:i]}
    return f"{slug}-{i + 1}" if slug in earlier else slug


async def take_supplied(
    plan: Plan,
    project: Project,
    ledger: Ledger,
    *,
    local_root: Path | None = None,
    resolver: Resolver = system_resolver,
    transport: httpx.AsyncBaseTransport | None = None,
) -> dict[str, str]:
    """Character name -> project-relative path of the brief's own reference image, fetched or
    read once per project (see tools/fetch.py for what is refused). Raises BriefError or
    ProviderError naming the character when an image cannot be used."""
    chosen = supplied_images(plan)
    index = {c.name: i for i, c in enumerate(plan.characters)}

    async def take(name: str, source: str) -> tuple[str, str]:
        i = index[name]
        dest = project.stills_dir / f"character_{still_slug(plan, i)}_reference.png"
        if not dest.exists():
            try:
                await save_reference(source, dest, local_root=local_root, resolver=resolver,
                                     transport=transport)
            except ProviderError as exc:
                raise ProviderError(f"{name}: {exc}", retryable=exc.retryable) from None
            except DirectorError as exc:
                raise BriefError(f"{name}: {exc}") from None
            ledger.append(
                LedgerEntry(
                    kind="still",
                    shot=i,
                    attempt=1,
                    cost_usd=0.0,
                    data={"model": "supplied", "source": _shown(source),
                          "path": str(dest.relative_to(project.root))},
                )
            )
        return name, str(dest.relative_to(project.root))

    return dict(await asyncio.gather(*(take(n, s) for n, s in chosen.items())))


async def make_references(
    plan: Plan,
    project: Project,
    settings: Settings,
    ledger: Ledger,
    *,
    local_root: Path | None = None,
    resolver: Resolver = system_resolver,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Plan:
    """Character stills (and keyframes when wanted) for `plan`, each made once per project and
    recorded in the ledger with its cost; returns the plan with their paths.

    A character the brief gives a reference image of uses that image (see `take_supplied`);
    local files are read only when `local_root` is given (the folder relative paths resolve
    against: the command line's brief folder; None for doors that must not read the server's
    files). `resolver` and `transport` are for tests."""
    supplied = await take_supplied(plan, project, ledger, local_root=local_root,
                                   resolver=resolver, transport=transport)
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
        dest = project.stills_dir / f"character_{still_slug(plan, i)}.png"
        prompt = still_prompt(character, plan.look)
        return asyncio.ensure_future(make("still", i, prompt, dest, seed=i))

    wanted = [(i, c) for i, c in enumerate(plan.characters) if c.name not in supplied]
    stills = [character_still(i, c) for i, c in wanted]
    made = dict(zip((c.name for _, c in wanted), await asyncio.gather(*stills), strict=True))
    references = {c.name: supplied.get(c.name) or made[c.name] for c in plan.characters}
    shots: list[PlannedShot] = list(plan.shots)
    if keyframes_wanted(settings):

        async def keyframe(s: PlannedShot) -> PlannedShot:
            if not catalog.get(s.model).first_frame:
                return s
            dest = project.stills_dir / f"keyframe{s.index:02d}.png"
            path = await make("keyframe", s.index, s.spec.text(), dest, seed=s.seed)
            return s.model_copy(update={"keyframe": path})

        shots = list(await asyncio.gather(*(keyframe(s) for s in shots)))
    count = len(made) + sum(1 for s in shots if s.keyframe)
    return plan.model_copy(
        update={
            "shots": shots,
            "references": references,
            "stills_usd": round(price * count, 4),
        }
    )
