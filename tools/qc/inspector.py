"""The inspector: one take in, one QCReport out.

`inspect_take` decodes the clip once at analysis size and runs, in order: the probe's parameter
checks (duration, size, fps, aspect, audio), the technical defects, and the camera move measured
from pixels against the move the shot asked for. Every finding names the ONE variable a retake
should change (reference taxonomy: parameters → params; black, frozen, flicker, cut → seed;
wrong or missing camera move → camera; nothing moving in a locked-off shot with an action →
action; letterbox → params).

With a vision `judge` (tools/qc/judge.py, built once by whoever runs the inspector), the take is
also checked element by element against what the shot asked for: subject, action, environment,
lighting, atmosphere, each failure naming its own element as the variable (check
"judge:<element>"). Camera verdicts stay with the pixels. The judge is advice: if it cannot rule
or fails in any way, inspection still completes with one warn finding.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from director.errors import DirectorError
from director.film import (
    CameraMotion,
    Defect,
    Finding,
    GenerationRequest,
    PromptSpec,
    QCReport,
    Variable,
)
from director.tools.pools import shared_pool
from director.tools.qc.defects import find_defects
from director.tools.qc.frames import MediaError, decode
from director.tools.qc.judge_spec import JudgeSpec
from director.tools.qc.motion import MIRRORED, direction_clarity, expected_class, measure
from director.tools.qc.probe import check_request, undecodable

if TYPE_CHECKING:
    from director.tools.qc.judge import Judge

DEFECT_VARIABLE: dict[str, Variable] = {
    "black": "seed",
    "frozen": "seed",
    "flicker": "seed",
    "cut": "seed",
    "letterbox": "params",
}
"""What a retake changes for each technical defect ("static" depends on the shot)."""
LOW_CONFIDENCE = 0.7
"""Below this camera confidence a mismatch only warns: the pixels are not clear enough to be
worth a paid retake. A clear wrong verdict (a pan the wrong way reads well above it) fails."""


def qc_pool() -> ThreadPoolExecutor:
    """Where inspections run: one per core across the whole process. Each holds ~50 MB of
    decoded frames and is CPU-bound, so more at once (many projects in one process) only adds
    memory, not speed; waiting inspections queue here without tying up other threads."""
    return shared_pool("qc", max(2, os.cpu_count() or 2))


def inspect_take(
    path: Path | str,
    request: GenerationRequest | None = None,
    *,
    judge: Judge | None = None,
    spec: PromptSpec | JudgeSpec | None = None,
) -> QCReport:
    """Inspect the clip at `path` against `request` (measure only, when None). Never raises on
    bad media: an unreadable clip is a failed take.

    With a `judge` and a `request`, the vision judge also rules on the shot's elements; `spec`
    says what they are (the shot's PromptSpec, or a JudgeSpec built from the plan), otherwise
    they are read from the request's hints and prompt."""
    path = Path(path)
    try:
        clip = decode(path)
    except MediaError as exc:
        return undecodable(str(exc))
    if clip.error:
        return undecodable(f"{path.name} {clip.error}")
    report = QCReport(
        decodable=True,
        duration_s=clip.duration_s,
        frames=clip.frames,
        fps=clip.fps,
        width=clip.width,
        height=clip.height,
        has_audio=clip.has_audio,
    )
    findings: list[Finding] = []
    if request is not None:
        findings += check_request(report, request, clip.pixel_aspect)
    camera = measure(clip, ignore_below=caption_fraction(request))
    expect_motion = _expects_motion(request)
    defects = find_defects(path, expect_motion, clip=clip, camera=camera)
    findings += defect_findings(defects, request)
    if request is not None:
        findings += camera_findings(camera, request, defects)
    if judge is not None and request is not None:
        findings += judge_findings(judge, path, request, spec)
    return report.model_copy(update={"defects": defects, "findings": findings, "camera": camera})


def judge_findings(
    judge: Judge, path: Path, request: GenerationRequest, spec: PromptSpec | JudgeSpec | None
) -> list[Finding]:
    """The vision judge's per-element findings on the take at `path`; one warn finding, never an
    exception, when it cannot rule."""
    try:
        target = spec if isinstance(spec, JudgeSpec) else JudgeSpec.from_request(request, spec)
        return judge.judge(path, target).findings
    except Exception as exc:  # the judge is advice: nothing it does may stop QC
        return [judge.warning("the judge stopped", exc)]


def caption_fraction(request: GenerationRequest | None) -> float | None:
    """Where a caption fixed to the screen starts, as a fraction of the frame height, for
    renders that draw one (the local animatic and its simulator); None otherwise.

    A slate that never moves would pull the camera estimate towards static, so motion is
    measured above it."""
    if request is None or not _is_animatic(request):
        return None
    from director.tools.providers.caption import draw_caption

    return draw_caption(request).top / request.height


def _is_animatic(request: GenerationRequest) -> bool:
    from director.tools import catalog

    try:
        return catalog.get(request.model).family == "animatic"
    except DirectorError:
        return request.provider in ("animatic", "sim")


def _expects_motion(request: GenerationRequest | None) -> bool:
    """Whether the shot asked for something to move: a camera move, or (on real video models)
    an action. The animatic draws a still storyboard, so only its camera moves."""
    if request is None:
        return False
    if expected_class(request.hints.camera_move) != "static":
        return True
    return bool(request.hints.action.strip()) and not _is_animatic(request)


def defect_findings(defects: list[Defect], request: GenerationRequest | None) -> list[Finding]:
    """One finding per defect type, listing where it happens."""
    findings: list[Finding] = []
    for kind in ("black", "frozen", "flicker", "cut", "letterbox", "static"):
        spans = [d for d in defects if d.type == kind]
        if not spans:
            continue
        where = ", ".join(_span(d) for d in spans[:4]) + (" …" if len(spans) > 4 else "")
        if kind == "static":
            moved = request is not None and expected_class(request.hints.camera_move) != "static"
            if moved:
                continue  # the camera finding names it, with the move that was asked for
            findings.append(
                Finding(
                    check="static",
                    message="nothing moves although the shot has an action",
                    variable="action",
                )
            )
            continue
        label = {
            "black": "black frames",
            "frozen": "picture freezes",
            "flicker": "flicker",
            "cut": "hard cut inside the clip",
            "letterbox": "letterbox bars",
        }[kind]
        findings.append(
            Finding(check=kind, message=f"{label} at {where}", variable=DEFECT_VARIABLE[kind])
        )
    return findings


def camera_findings(
    camera: CameraMotion, request: GenerationRequest, defects: list[Defect]
) -> list[Finding]:
    """A finding when the measured move is not the one the shot asked for."""
    asked = request.hints.camera_move
    want = expected_class(asked)
    got = camera.move
    if got == want:
        return []
    if camera.pairs_used == 0:
        return [
            Finding(
                check="camera",
                severity="warn",
                message=f"camera move not measurable ({camera.note}); asked for {asked}",
                variable="camera",
            )
        ]
    detail = (
        f"pan {camera.pan:+.3f}w, tilt {camera.tilt:+.3f}h, zoom {camera.zoom:+.3f}, "
        f"roll {camera.roll_deg:+.1f}°, confidence {camera.confidence:.2f}"
    )
    still = any(d.type == "static" for d in defects)
    if want != "static" and got == "static":
        message = f"camera does not move; asked for {asked} ({detail})"
        if still:
            message = f"nothing moves; asked for {asked} ({detail})"
    else:
        message = f"camera reads as {got}, asked for {asked} ({detail})"
    severity = "fail"
    # Orbit is told from a pan only by parallax, which a shot without foreground lacks: a pan
    # the right way round is reported, not failed.
    orbit_as_pan = {"orbit_left": "pan_right", "orbit_right": "pan_left"}
    sure = camera.confidence
    if MIRRORED.get(want) == got:
        # The same move the wrong way round: judged on its own axis, where it is usually clear.
        sure = max(sure, direction_clarity(camera, got))
    if orbit_as_pan.get(want) == got:
        severity = "warn"
    elif sure < LOW_CONFIDENCE and not (want != "static" and still):
        # A shaky measurement never costs a retake; a picture in which nothing moves at all,
        # although a move was asked for, is clear whatever the fit's confidence.
        message += "; low confidence, not failed"
        severity = "warn"
    return [Finding(check="camera", severity=severity, message=message, variable="camera")]


def _span(d: Defect) -> str:
    if d.start_s == d.end_s:
        return f"{d.start_s:.2f}s"
    return f"{d.start_s:.2f}–{d.end_s:.2f}s"
