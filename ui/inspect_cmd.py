"""`director inspect VIDEO`: run the inspector on one clip and print what it saw.

Against a plan shot (--spec/--shot), the vision judge also rules on subject, action,
environment, lighting and atmosphere when one is configured (DIRECTOR_VISION_MODEL).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from director.errors import BriefError
from director.film import GenerationRequest, QCReport
from director.tools.qc.frames import MediaError

if TYPE_CHECKING:
    from director.plan import Plan, PlannedShot
    from director.tools.qc.judge import Judge
    from director.tools.qc.judge_spec import JudgeSpec


def load_shot(spec: Path, shot: int | None) -> tuple[GenerationRequest, JudgeSpec]:
    """The first-take request of shot `shot` (1-based) of the plan at `spec`, and what the
    vision judge checks it against (the shot with its characters and location resolved)."""
    from director.tools.qc.judge_spec import JudgeSpec

    plan, planned, number = _planned(spec, shot)
    request = _first_request(f"shot {number} of {spec}", plan, planned)
    return request, JudgeSpec.from_shot(planned.shot, plan.bible)


def _planned(spec: Path, shot: int | None) -> tuple[Plan, PlannedShot, int]:
    from director.plan import Plan

    try:
        plan = Plan.model_validate_json(spec.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise BriefError(f"cannot read {spec}: {exc.__class__.__name__}") from None
    except ValueError as exc:
        first = str(exc).splitlines()[0]
        raise BriefError(f"{spec}: not a valid plan.json ({first})") from None
    if shot is None:
        if len(plan.shots) != 1:
            raise BriefError(f"{spec} has {len(plan.shots)} shots; say which with --shot N")
        shot = 1
    if not 1 <= shot <= len(plan.shots):
        raise BriefError(f"--shot must be 1 to {len(plan.shots)}, not {shot}")
    planned = plan.shots[shot - 1]
    if not planned.model:
        raise BriefError(f"shot {shot} of {spec} has no model routed yet")
    return plan, planned, shot


def _first_request(where: str, plan: Plan, planned: PlannedShot) -> GenerationRequest:
    from director.agent.requests import first_request
    from director.errors import DirectorError

    try:
        return first_request(
            planned,
            aspect_ratio=plan.brief.aspect_ratio,
            resolution=plan.brief.resolution,
            audio=plan.brief.audio,
        )
    except DirectorError as exc:
        raise BriefError(f"{where}: {exc}") from None


def report_json(report: QCReport) -> dict[str, Any]:
    """The report as the --json object: measurements, camera, defects, findings, passed."""
    camera = report.camera.model_dump() if report.camera else {"move": "static", "confidence": 0}
    return {
        "decodable": report.decodable,
        "duration_s": round(report.duration_s, 4),
        "frames": report.frames,
        "fps": report.fps,
        "width": report.width,
        "height": report.height,
        "has_audio": report.has_audio,
        "camera": camera,
        "defects": [d.model_dump() for d in report.defects],
        "findings": [f.model_dump() for f in report.findings],
        "passed": report.passed,
    }


def inspect_command(
    video: Path,
    spec: Path | None,
    shot: int | None,
    as_json: bool,
    *,
    judge: Judge | None = None,
) -> int:
    """Inspect `video` (against shot `shot` of `spec` when given); return the exit code:
    0 passed, 1 failed. Unreadable input raises a DirectorError (exit 2).

    Against a shot, `judge` (default: the one the environment configures, if any) also rules
    on the shot's elements."""
    from director.tools.qc.inspector import inspect_take

    if shot is not None and spec is None:
        raise BriefError("--shot needs --spec plan.json")
    if not video.is_file():
        raise MediaError(f"no file at {video}")
    if spec is None:
        report = inspect_take(video)
    else:
        from director.tools.qc.judge import make_judge

        request, elements = load_shot(spec, shot)
        judge = judge if judge is not None else make_judge()
        report = inspect_take(video, request, judge=judge, spec=elements)
    if not report.decodable:
        raise MediaError(report.failures() or f"{video} is not a decodable video")
    if as_json:
        sys.stdout.write(json.dumps(report_json(report), indent=2) + "\n")
    else:
        _print(Console(), video, report)
    return 0 if report.passed else 1


def _print(out: Console, video: Path, report: QCReport) -> None:
    out.print(
        f"[bold]{video.name}[/]: {report.duration_s:.2f}s, {report.frames} frames, "
        f"{report.fps:g} fps, {report.width}x{report.height}"
        + (", audio" if report.has_audio else ""),
        highlight=False,
    )
    cam = report.camera
    if cam is not None:
        out.print(
            f"camera: [bold]{cam.move}[/] (confidence {cam.confidence:.2f}; pan {cam.pan:+.3f}w, "
            f"tilt {cam.tilt:+.3f}h, zoom {cam.zoom:+.3f}, roll {cam.roll_deg:+.1f}°)",
            highlight=False,
        )
        if cam.note:
            out.print(f"  note: {cam.note}", highlight=False)
    for d in report.defects:
        out.print(f"defect: {d.type} {d.start_s:.2f}–{d.end_s:.2f}s", highlight=False)
    for f in report.findings:
        colour = "red" if f.severity == "fail" else "yellow"
        out.print(
            f"[{colour}]{f.severity}[/] {f.check}: {f.message} → change {f.variable}",
            highlight=False,
        )
    out.print("[green]passed[/]" if report.passed else "[red]failed[/]")
