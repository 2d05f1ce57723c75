"""Inspector cost: CPU and wall seconds of inspect_take on a 5 s 1280x720 24 fps H.264 take.

Run: .venv/bin/python bench/qc_cost.py [--runs 5] [--move pan_right]

CPU time is time.process_time (all threads of this process, so decoder threads count). Prints
the medians and the CPU ratio to the target (<= 1.5 s CPU; a ratio at or under 1.0 meets it).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from qcset import CAMERA_CLASSES, build, specs

from director.film import GenerationRequest, ShotHints
from director.tools.qc.inspector import inspect_take

TARGET_CPU_S = 1.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs (after one warm-up)")
    parser.add_argument("--move", default="pan_right", choices=CAMERA_CLASSES)
    args = parser.parse_args()
    spec = specs(1, seed=0, classes=(f"camera:{args.move}",))[0]
    spec = spec.model_copy(
        update={"width": 1280, "height": 720, "fps": 24, "frames": 120, "crf": 23,
                "bitrate_kbps": None, "clip_id": f"cost-{args.move}"}
    )
    with tempfile.TemporaryDirectory(prefix="bench-qc-") as tmp:
        clip = build(spec, Path(tmp))
        move = args.move if args.move != "roll" else "static"
        request = GenerationRequest(
            shot_index=0, model="kling-v2-6-pro", provider="kling", prompt="bench",
            duration_s=5.0, width=1280, height=720, fps=24,
            hints=ShotHints(camera_move=move, action="walks to the window"),  # type: ignore[arg-type]
        )
        report = inspect_take(clip.path, request)  # warm-up: imports, caches
        cpu: list[float] = []
        wall: list[float] = []
        for _ in range(args.runs):
            c0, w0 = time.process_time(), time.perf_counter()
            inspect_take(clip.path, request)
            cpu.append(time.process_time() - c0)
            wall.append(time.perf_counter() - w0)
    cpu_s, wall_s = statistics.median(cpu), statistics.median(wall)
    print(f"clip: 1280x720 24fps 5.0s {args.move}, {report.frames} frames decoded")
    print(f"camera_read: {report.camera.move if report.camera else 'none'}")
    print(f"inspect_cpu_s_median: {cpu_s:.2f}")
    print(f"inspect_wall_s_median: {wall_s:.2f}")
    print(f"inspect_cpu_ratio_to_target: {cpu_s / TARGET_CPU_S:.2f} (target <= {TARGET_CPU_S} s, "
          f"{'PASS' if cpu_s <= TARGET_CPU_S else 'MISS'})")


if __name__ == "__main__":
    main()
