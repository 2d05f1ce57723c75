"""Inspector accuracy on the labelled clip set: camera moves and defect detectors.

Run: .venv/bin/python bench/qc_accuracy.py [--n 6] [--seed 0] [--out build/qcset] [--small]

Prints per-class precision and recall for camera moves (on clean clips), the camera accuracy on
each subject scene (a large subject moving in frame, under a still, panning or handheld camera),
per-type recall and
precision for each defect detector (on clips with that defect injected), each detector's
false-positive rate on clean clips, the overall camera accuracy (camera and subject-scene
clips together), and PASS/MISS against the targets: camera accuracy >= 95 % overall and on the
subject scenes; each defect type recall >= 95 % with <= 5 % false positives
on clean clips. Always exits 0: it is a report. Labels come from the generator, never from a
detector (see qcset.py).

A detection matches a labelled defect of the same type when their time ranges overlap once the
label is widened by MATCH_TOLERANCE_S on each side (a cut is an instant).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from qcset import (
    CAMERA_CLASSES,
    DEFECT_CLASSES,
    SUBJECT_SCENES,
    DefectLabel,
    LabelledClip,
    generate,
)

from director.film import Defect

CAMERA_TARGET = 0.95
RECALL_TARGET = 0.95
FALSE_POSITIVE_TARGET = 0.05
MATCH_TOLERANCE_S = 0.25
"""Slack on each side of a labelled defect's range when matching a detection."""


@dataclass
class Verdict:
    """What the inspector said about one clip."""

    clip: LabelledClip
    move: str
    confidence: float
    defects: list[Defect]
    cpu_s: float


@dataclass
class Scores:
    """Everything the table prints."""

    camera_total: int = 0
    camera_right: int = 0
    camera_confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    scene_total: Counter[str] = field(default_factory=Counter)
    scene_right: Counter[str] = field(default_factory=Counter)
    defect_labelled: Counter[str] = field(default_factory=Counter)
    defect_found: Counter[str] = field(default_factory=Counter)
    detections: Counter[str] = field(default_factory=Counter)
    detections_true: Counter[str] = field(default_factory=Counter)
    clean_clips: int = 0
    clean_flagged: Counter[str] = field(default_factory=Counter)
    misses: list[str] = field(default_factory=list)

    @property
    def camera_accuracy(self) -> float:
        return self.camera_right / self.camera_total if self.camera_total else 0.0

    def scene_accuracy(self, scene: str | None = None) -> float | None:
        """Camera accuracy on one subject scene, or on all of them."""
        total = self.scene_total[scene] if scene else sum(self.scene_total.values())
        right = self.scene_right[scene] if scene else sum(self.scene_right.values())
        return right / total if total else None

    def camera_recall(self, move: str) -> float | None:
        total = sum(n for (t, _), n in self.camera_confusion.items() if t == move)
        return self.camera_confusion[move, move] / total if total else None

    def camera_precision(self, move: str) -> float | None:
        said = sum(n for (_, g), n in self.camera_confusion.items() if g == move)
        return self.camera_confusion[move, move] / said if said else None

    def recall(self, kind: str) -> float | None:
        n = self.defect_labelled[kind]
        return self.defect_found[kind] / n if n else None

    def precision(self, kind: str) -> float | None:
        n = self.detections[kind]
        return self.detections_true[kind] / n if n else None

    def false_positive_rate(self, kind: str) -> float | None:
        return self.clean_flagged[kind] / self.clean_clips if self.clean_clips else None


def matches(found: Defect, label: DefectLabel | Defect, tol: float = MATCH_TOLERANCE_S) -> bool:
    """Same type and overlapping ranges, the label widened by `tol` on each side."""
    return (
        found.type == label.type
        and found.start_s <= label.end_s + tol
        and found.end_s >= label.start_s - tol
    )


def inspect(clip: LabelledClip) -> Verdict:
    """Run the inspector's camera and defect passes on one clip (one decode, as inspect_take)."""
    from director.tools.qc.defects import find_defects
    from director.tools.qc.frames import decode
    from director.tools.qc.motion import analyse_motion

    start = time.process_time()
    decoded = decode(clip.path)
    camera = analyse_motion(clip.path, clip=decoded)
    defects = find_defects(clip.path, clip.expect_motion, clip=decoded, camera=camera)
    return Verdict(clip, camera.move, camera.confidence, defects, time.process_time() - start)


def score(verdicts: list[Verdict]) -> Scores:
    s = Scores()
    for v in verdicts:
        c = v.clip
        name = f"{c.spec.clip_id} ({c.path.name})"
        if c.spec.category in ("camera", "subject"):
            s.camera_total += 1
            s.camera_confusion[c.move, v.move] += 1
            if c.spec.category == "subject":
                s.scene_total[c.spec.target] += 1
                s.scene_right[c.spec.target] += v.move == c.move
            if v.move == c.move:
                s.camera_right += 1
            else:
                s.misses.append(f"{name}: camera read {v.move} ({v.confidence:.2f}), is {c.move}")
        for label in c.defects:
            s.defect_labelled[label.type] += 1
            if any(matches(d, label) for d in v.defects):
                s.defect_found[label.type] += 1
            else:
                said = ", ".join(f"{d.type} {d.start_s:.2f}-{d.end_s:.2f}s" for d in v.defects)
                s.misses.append(
                    f"{name}: missed {label.type} {label.start_s:.2f}-{label.end_s:.2f}s "
                    f"(found: {said or 'nothing'})"
                )
        for d in v.defects:
            s.detections[d.type] += 1
            if any(matches(d, label) for label in c.defects):
                s.detections_true[d.type] += 1
        if c.clean:
            s.clean_clips += 1
            for kind in {d.type for d in v.defects}:
                s.clean_flagged[kind] += 1
                s.misses.append(f"{name}: false {kind} on a clean clip")
    return s


def _pct(x: float | None) -> str:
    return "   -  " if x is None else f"{100 * x:5.1f}%"


def report(s: Scores) -> list[str]:
    lines = ["camera move        n   precision  recall"]
    for move in CAMERA_CLASSES:
        n = sum(k for (t, _), k in s.camera_confusion.items() if t == move)
        precision, recall = _pct(s.camera_precision(move)), _pct(s.camera_recall(move))
        lines.append(f"  {move:<14} {n:3d}   {precision}   {recall}")
    lines.append("subject scene      n   camera accuracy")
    for scene in SUBJECT_SCENES:
        lines.append(f"  {scene:<15} {s.scene_total[scene]:3d}   {_pct(s.scene_accuracy(scene))}")
    scenes = s.scene_accuracy()
    ok = scenes is not None and scenes >= CAMERA_TARGET
    lines.append(
        f"subject_scene_accuracy: {_pct(scenes).strip()} "
        f"({sum(s.scene_right.values())}/{sum(s.scene_total.values())}) "
        f"target >= {100 * CAMERA_TARGET:.0f}% {'PASS' if ok else 'MISS'}"
    )
    ok = s.camera_accuracy >= CAMERA_TARGET
    lines.append(
        f"camera_accuracy: {100 * s.camera_accuracy:.1f}% ({s.camera_right}/{s.camera_total}) "
        f"target >= {100 * CAMERA_TARGET:.0f}% {'PASS' if ok else 'MISS'}"
    )
    lines.append("defect          n   recall  precision  false+ on clean")
    for kind in DEFECT_CLASSES:
        recall, fp = s.recall(kind), s.false_positive_rate(kind)
        verdict = (
            "PASS"
            if recall is not None
            and recall >= RECALL_TARGET
            and fp is not None
            and fp <= FALSE_POSITIVE_TARGET
            else "MISS"
        )
        n, precision = s.defect_labelled[kind], _pct(s.precision(kind))
        lines.append(
            f"  {kind:<11} {n:3d}   {_pct(recall)}   {precision}"
            f"     {_pct(fp)} ({s.clean_flagged[kind]}/{s.clean_clips})  {verdict}"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=6, help="clips per camera move and defect type")
    parser.add_argument("--seed", type=int, default=0, help="seed of the clip set")
    parser.add_argument("--out", type=Path, default=Path("build/qcset"), help="clip cache")
    parser.add_argument("--small", action="store_true", help="fixture-sized clips only")
    args = parser.parse_args()
    start = time.perf_counter()
    clips = generate(args.out, n_per_class=args.n, seed=args.seed, small=args.small)
    print(f"clips: {len(clips)} in {args.out} ({time.perf_counter() - start:.0f}s to build/read)")
    verdicts = [inspect(c) for c in clips]
    scores = score(verdicts)
    for line in report(scores):
        print(line)
    cpu = sorted(v.cpu_s for v in verdicts)
    print(f"inspect_cpu_s_median: {cpu[len(cpu) // 2]:.2f}  max: {cpu[-1]:.2f}")
    if scores.misses:
        print(f"misses ({len(scores.misses)}):")
        for line in scores.misses:
            print(f"  {line}")


if __name__ == "__main__":
    main()
