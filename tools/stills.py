"""Stills from clips (a shot's middle frame, the last frame a continuous next shot starts from)
and contact sheets, each written atomically."""

from __future__ import annotations

from pathlib import Path

import av
from PIL import Image, ImageDraw, ImageFont

from director.errors import DirectorError
from director.tools.edit import atomic_output, one_line
from director.tools.qc.probe import VideoInfo, video_info

# --- stills --------------------------------------------------------------------------------


def extract_still(video: Path, dest: Path, at: float | None = None) -> Path:
    """Save the frame shown at `at` seconds (default: the middle) as PNG or JPEG (by suffix)."""
    info = _info_or_error(Path(video))
    when = info.duration_s / 2 if at is None else min(max(at, 0.0), info.duration_s)
    frame = _frame_at(Path(video), when)
    _save_image(frame.to_image(), Path(dest))
    return Path(dest)


def last_frame(video: Path, dest: Path) -> Path:
    """Save the clip's final frame: the first frame of a continuous next shot."""
    info = _info_or_error(Path(video))
    frame = _frame_at(Path(video), info.duration_s)
    _save_image(frame.to_image(), Path(dest))
    return Path(dest)


def _info_or_error(video: Path) -> VideoInfo:
    try:
        info = video_info(video)
    except (av.FFmpegError, OSError, IndexError) as exc:
        raise DirectorError(f"cannot read {video}: {one_line(exc)}") from None
    if info.frames == 0:
        raise DirectorError(f"{video.name} holds no video frames")
    return info


def _frame_at(video: Path, at: float) -> av.VideoFrame:
    """The frame on screen at `at` seconds: seek to the keyframe before, decode forward."""
    try:
        with av.open(str(video)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            if at > 0 and stream.time_base:
                container.seek(int(at / stream.time_base), stream=stream, backward=True)
            chosen: av.VideoFrame | None = None
            for frame in container.decode(stream):
                if chosen is not None and frame.time is not None and frame.time > at + 1e-6:
                    break
                chosen = frame
    except (av.FFmpegError, OSError) as exc:
        raise DirectorError(f"cannot decode {video}: {one_line(exc)}") from None
    if chosen is None:
        raise DirectorError(f"{video.name} has no frame at {at:.2f}s")
    return chosen


def _save_image(image: Image.Image, dest: Path) -> None:
    fmt = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WEBP"}.get(dest.suffix.lower())
    if fmt is None:
        raise DirectorError(f"cannot write {dest.name}: use a .png, .jpg or .webp name")
    with atomic_output(dest) as tmp:
        image.convert("RGB").save(tmp, format=fmt, **({"quality": 92} if fmt == "JPEG" else {}))


# --- contact sheet ---------------------------------------------------------------------------


def contact_sheet(
    stills: list[Path],
    dest: Path,
    columns: int = 4,
    labels: list[str] | None = None,
    cell_width: int = 320,
) -> Path:
    """Lay `stills` out in a grid, each with its label underneath, as one image."""
    if not stills:
        raise DirectorError("no stills for a contact sheet")
    if columns < 1:
        raise DirectorError(f"a contact sheet needs at least one column, got {columns}")
    if labels is not None and len(labels) != len(stills):
        raise DirectorError(f"{len(labels)} labels for {len(stills)} stills")
    images = [_open_image(Path(p)) for p in stills]
    first_w, first_h = images[0].size
    cell_h = max(1, round(cell_width * first_h / first_w))
    font = ImageFont.load_default(size=14)
    label_h = 22 if labels is not None else 0
    gap = 8
    cols = min(columns, len(images))
    rows = -(-len(images) // cols)
    sheet = Image.new(
        "RGB",
        (gap + cols * (cell_width + gap), gap + rows * (cell_h + label_h + gap)),
        (24, 24, 28),
    )
    draw = ImageDraw.Draw(sheet)
    for i, image in enumerate(images):
        x = gap + (i % cols) * (cell_width + gap)
        y = gap + (i // cols) * (cell_h + label_h + gap)
        thumb = image.copy()
        thumb.thumbnail((cell_width, cell_h))
        sheet.paste(thumb, (x + (cell_width - thumb.width) // 2, y + (cell_h - thumb.height) // 2))
        if labels is not None:
            draw.text(
                (x + 2, y + cell_h + 3),
                _fit_text(labels[i], font, cell_width - 4),
                font=font,
                fill=(235, 235, 235),
            )
    _save_image(sheet, Path(dest))
    return Path(dest)


def _open_image(path: Path) -> Image.Image:
    try:
        with Image.open(path) as image:
            return image.convert("RGB")
    except (OSError, ValueError) as exc:
        raise DirectorError(f"cannot read still {path}: {one_line(exc)}") from None


def _fit_text(text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, width: int) -> str:
    text = " ".join(text.split())
    if font.getlength(text) <= width:
        return text
    while text and font.getlength(text + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"
