"""Build the GenerationRequest of a shot's first take (or of a multi-shot group's one request)
from its plan entry."""

from __future__ import annotations

import zlib

from director.film import GenerationRequest, ShotHints, ShotSegment
from director.plan import PlannedShot
from director.prompts.vocabulary import MOVE_PHRASES, has_person
from director.tools import catalog


def first_seed(title: str, index: int) -> int:
    """Stable per project and shot, so a re-planned run renders the same animatic."""
    return zlib.crc32(f"{title}|{index}".encode()) % 1_000_000


def first_request(
    planned: PlannedShot,
    *,
    aspect_ratio: str,
    resolution: str,
    audio: bool,
    first_frame: str = "",
) -> GenerationRequest:
    spec = catalog.get(planned.model)
    width, height = catalog.size(spec, aspect_ratio, resolution)
    shot = planned.shot
    camera = shot.camera
    return GenerationRequest(
        shot_index=planned.index,
        attempt=1,
        model=spec.id,
        provider=planned.provider,
        prompt=planned.prompt,
        negative_prompt=planned.negative_prompt if spec.negative_prompt else "",
        duration_s=planned.duration_s,
        aspect_ratio=aspect_ratio,  # type: ignore[arg-type]
        width=width,
        height=height,
        fps=24,
        audio=audio and spec.audio,
        seed=planned.seed,
        first_frame=first_frame,
        hints=ShotHints(
            subject=shot.subject,
            action=shot.action,
            camera_move=camera.move,
            camera_line=(
                f"{MOVE_PHRASES[camera.move]}, {camera.focal_length_mm}mm, "
                f"{camera.angle.replace('_', ' ')}, {camera.size.replace('_', ' ')}"
            ),
            light_side=shot.lighting.side,
            colour_temperature_k=shot.lighting.colour_temperature_k,
            size=camera.size,
            subject_kind="person" if shot.characters or has_person(shot.subject) else "object",
        ),
    )


def group_request(
    members: list[PlannedShot], *, aspect_ratio: str, resolution: str, audio: bool
) -> GenerationRequest:
    """One multi-shot request for a group: the lead's request (model, size, seed, negative
    prompt, hints) with one segment per member and their lengths added up. The single `prompt`
    is left empty: a multi-shot service ignores it in favour of the segments."""
    lead = first_request(members[0], aspect_ratio=aspect_ratio, resolution=resolution,
                         audio=audio)
    segments = [ShotSegment(prompt=m.segment_prompt, duration_s=m.duration_s) for m in members]
    return GenerationRequest.model_validate({
        **lead.model_dump(),
        "prompt": "",
        "duration_s": sum(m.duration_s for m in members),
        "multi_prompt": segments,
    })


def segment_bounds(members: list[PlannedShot]) -> list[tuple[float, float]]:
    """Where each member's segment sits in the group's clip: [start, end) in seconds."""
    bounds, start = [], 0.0
    for m in members:
        bounds.append((start, start + m.duration_s))
        start += m.duration_s
    return bounds
