"""Multi-shot groups: consecutive shots of one scene rendered by one request, where the routed
model takes several shots per request (Kling 3.0 `multi_prompt`, providers.md §1).

One request for a scene keeps its look and light consistent from shot to shot and waits on one
render instead of several. A group holds shots that are consecutive in the cut and share a
scene, a model and an adapter; at most the model's `max_shots`; each a whole number of seconds
(segment durations are integers); together a length the model renders; and each segment prompt,
as compose renders it for multi-shot, within the model's `segment_chars`. A continuous shot
that starts on its predecessor's last frame is never grouped: it must wait for that clip.
"""

from __future__ import annotations

from director.film import Bible
from director.plan import PlannedShot
from director.prompts import compose
from director.tools import catalog
from director.tools.catalog import ModelSpec

MULTI_SHOT_PROVIDERS = frozenset({"kling", "fal", "sim"})
"""Adapters that send a multi-shot request (Replicate and PiAPI document no field for one)."""
_EPS = 1e-6


def group_shots(
    shots: list[PlannedShot], bible: Bible, *, enabled: bool = True
) -> list[PlannedShot]:
    """`shots` with their group fields set afresh (cleared on every shot first, so a re-routed
    plan never keeps a stale group)."""
    cleared = [s.model_copy(update={"group_lead": None, "group": [], "segment_prompt": ""})
               for s in shots]
    if not enabled:
        return cleared
    segments = {s.index: _segment(s, bible) for s in cleared}
    out: list[PlannedShot] = []
    i = 0
    while i < len(cleared):
        run = _longest_run(cleared, i, segments)
        if len(run) < 2:
            out.append(cleared[i])
            i += 1
            continue
        lead = run[0].index
        members = [s.index for s in run]
        for s in run:
            out.append(s.model_copy(update={
                "group_lead": lead,
                "group": members if s.index == lead else [],
                "segment_prompt": segments[s.index],
            }))
        i += len(run)
    return out


def _segment(shot: PlannedShot, bible: Bible) -> str:
    """The shot's multi-shot segment text, or "" when its model renders one shot per request."""
    spec = _spec(shot)
    if spec is None or not spec.multi_shot:
        return ""
    (text,) = compose.render_multishot([shot.spec], bible)
    return text if 0 < len(text) <= (spec.segment_chars or len(text)) else ""


def _spec(shot: PlannedShot) -> ModelSpec | None:
    return catalog.get(shot.model) if shot.model else None


def _joinable(shot: PlannedShot, segment: str) -> bool:
    whole = abs(shot.duration_s - round(shot.duration_s)) < _EPS and shot.duration_s >= 1
    return (
        bool(segment)
        and shot.provider in MULTI_SHOT_PROVIDERS
        and shot.chain_from is None
        and whole
    )


def _longest_run(
    shots: list[PlannedShot], start: int, segments: dict[int, str]
) -> list[PlannedShot]:
    """The longest group starting at `start` whose total length the model renders."""
    lead = shots[start]
    spec = _spec(lead)
    if spec is None or not _joinable(lead, segments[lead.index]):
        return [lead]
    longest = max(spec.durations)
    run = [lead]
    total = lead.duration_s
    for shot in shots[start + 1:]:
        same = (shot.shot.scene == lead.shot.scene and shot.model == lead.model
                and shot.provider == lead.provider)
        if not same or not _joinable(shot, segments[shot.index]):
            break
        if len(run) >= spec.max_shots or total + shot.duration_s > longest + _EPS:
            break
        run.append(shot)
        total += shot.duration_s
    while len(run) > 1 and not spec.accepts(sum(s.duration_s for s in run)):
        run.pop()
    return run
