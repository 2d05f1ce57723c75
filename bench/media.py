"""Media speed: animatic rendering and cut assembly, as multiples of real time.

Run: .venv/bin/python bench/media.py [--seconds 5] [--clips 12]

Prints plain `name: value` lines. Real time means seconds of footage per wall-clock second, so
2.0 renders a 5 s clip in 2.5 s.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from director.film import CameraMove, GenerationRequest, ShotHints
from director.tools.edit import concat
from director.tools.providers.animatic import render_animatic
from director.tools.qc.probe import probe

MOVES: tuple[CameraMove, ...] = ("pan_right", "push_in", "orbit_left")


def _request(
    move: CameraMove, seconds: float, index: int, width: int, height: int
) -> GenerationRequest:
    return GenerationRequest(
        shot_index=index,
        model="animatic",
        provider="animatic",
        prompt="bench",
        duration_s=seconds,
        width=width,
        height=height,
        fps=24,
        seed=index,
        hints=ShotHints(
            subject="Ana, 40s, black hair in a tight bun, white double-breasted chef jacket",
            action="plates a dish of saffron risotto at the pass",
            camera_move=move,
            camera_line="medium shot, eye height, 85mm",
            light_side="left",
            colour_temperature_k=3200,
        ),
    )


def _timed(fn: object, *args: object) -> float:
    start = time.perf_counter()
    fn(*args)  # type: ignore[operator]
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each clip")
    parser.add_argument("--clips", type=int, default=12, help="clips joined in the cut")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-media-") as tmp:
        root = Path(tmp)
        clips: list[Path] = []
        speeds: list[float] = []
        for i, move in enumerate(MOVES):
            dest = root / f"{move}.mp4"
            wall = _timed(render_animatic, _request(move, args.seconds, i, 1280, 720), dest)
            speeds.append(args.seconds / wall)
            clips.append(dest)
            print(f"render_x_realtime_1280x720_24fps_{move}: {args.seconds / wall:.2f}")
        print(f"render_x_realtime_1280x720_24fps_min: {min(speeds):.2f}")
        print(f"render_x_realtime_1280x720_24fps: {statistics.median(speeds):.2f}")

        wall = _timed(probe, clips[0])
        print(f"probe_x_realtime_1280x720: {args.seconds / wall:.2f}")

        cut = [clips[i % len(clips)] for i in range(args.clips)]
        wall = _timed(concat, cut, root / "cut.mp4")
        print(f"assembly_clips: {len(cut)}")
        print(f"assembly_x_realtime_stream_copy: {len(cut) * args.seconds / wall:.1f}")

        odd = root / "small.mp4"
        render_animatic(_request("static", args.seconds, 9, 640, 360), odd)
        mixed = [clips[0], odd, clips[1]]
        wall = _timed(concat, mixed, root / "mixed.mp4")
        print(f"assembly_x_realtime_reencode_mixed_sizes: {len(mixed) * args.seconds / wall:.2f}")


if __name__ == "__main__":
    main()
