"""The chat page's look: a dark grading-suite theme, amber accents, readable shot cards.

Light and dark variables get the same dark values, so the page looks the same whatever the
browser prefers, and no web font is fetched (the page works offline).
"""

from __future__ import annotations

import gradio as gr

_BG = "#0d0e11"
_PANEL = "#15171c"
_RAISED = "#1c1f26"
_LINE = "#2a2e37"
_TEXT = "#e7e4dc"
_MUTED = "#9a978f"
_ACCENT = "#f2a93b"


def theme() -> gr.themes.Base:
    fonts = ["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "sans-serif"]
    mono = ["ui-monospace", "SFMono-Regular", "Menlo", "monospace"]
    base = gr.themes.Base(
        primary_hue=gr.themes.colors.amber,
        secondary_hue=gr.themes.colors.stone,
        neutral_hue=gr.themes.colors.zinc,
        radius_size=gr.themes.sizes.radius_md,
        font=fonts,
        font_mono=mono,
    )
    values = {
        "body_background_fill": _BG,
        "body_text_color": _TEXT,
        "body_text_color_subdued": _MUTED,
        "background_fill_primary": _PANEL,
        "background_fill_secondary": _RAISED,
        "block_background_fill": _PANEL,
        "block_border_color": _LINE,
        "block_label_background_fill": _RAISED,
        "block_label_text_color": _MUTED,
        "block_title_text_color": _TEXT,
        "border_color_primary": _LINE,
        "border_color_accent": _ACCENT,
        "color_accent": _ACCENT,
        "color_accent_soft": "#3a2b12",
        "input_background_fill": _RAISED,
        "input_border_color": _LINE,
        "input_placeholder_color": _MUTED,
        "button_primary_background_fill": _ACCENT,
        "button_primary_background_fill_hover": "#ffbf5e",
        "button_primary_text_color": "#17120a",
        "button_secondary_background_fill": _RAISED,
        "button_secondary_background_fill_hover": "#262a33",
        "button_secondary_text_color": _TEXT,
        "button_cancel_background_fill": "#3a1d1d",
        "button_cancel_text_color": "#ffb4a8",
        "table_even_background_fill": _PANEL,
        "table_odd_background_fill": _RAISED,
        "table_border_color": _LINE,
        "panel_background_fill": _PANEL,
        "code_background_fill": _RAISED,
        "link_text_color": _ACCENT,
        "link_text_color_hover": "#ffbf5e",
        "chatbot_text_size": "15px",
    }
    both = {**values, **{f"{k}_dark": v for k, v in values.items()}}
    known = {k: v for k, v in both.items() if hasattr(base, k)}
    return base.set(**known)


CSS = f"""
.gradio-container{{max-width:1560px !important;margin:0 auto}}
#vd-header{{display:flex;flex-direction:column;align-items:flex-start;gap:2px;
  padding:6px 4px 2px}}
#vd-header h1{{white-space:nowrap;font-size:20px;margin:0;letter-spacing:.04em;color:{_TEXT}}}
#vd-header .mark{{color:{_ACCENT};margin-right:4px}}
#vd-header .tag{{color:{_MUTED};font-size:13px}}
.vd-meter{{background:{_PANEL};border:1px solid {_LINE};border-radius:10px;padding:10px 14px}}
.vd-meter .row{{display:flex;justify-content:space-between;align-items:baseline;gap:12px;
  font-size:13px;color:{_MUTED}}}
.vd-meter .title{{font-size:16px;color:{_TEXT};font-weight:600}}
.vd-meter .bar{{position:relative;height:10px;border-radius:5px;background:#242832;margin:8px 0 4px;
  overflow:hidden}}
.vd-meter .spent{{position:absolute;left:0;top:0;bottom:0;background:{_ACCENT};border-radius:5px}}
.vd-meter .est{{position:absolute;top:0;bottom:0;border-right:2px dashed #e7e4dc;opacity:.7}}
.vd-meter .over .spent{{background:#e5534b}}
.pill{{display:inline-block;padding:1px 9px;border-radius:999px;font-size:12px;font-weight:600;
  letter-spacing:.03em;text-transform:uppercase;background:#2a2e37;color:{_TEXT}}}
.pill.awaiting_approval{{background:#3a2b12;color:{_ACCENT}}}
.pill.done,.pill.accepted,.pill.pass{{background:#15301f;color:#7fd49a}}
.pill.failed,.pill.fail,.pill.rejected{{background:#3a1d1d;color:#ff9b8f}}
.pill.rendering{{background:#172a3f;color:#8cc4ff}}
.vd-sheet{{display:grid;grid-template-columns:repeat(auto-fill,minmax(250px,1fr));gap:12px}}
.vd-card{{background:{_RAISED};border:1px solid {_LINE};border-radius:10px;overflow:hidden}}
.vd-card img,.vd-card video{{display:block;width:100%;aspect-ratio:16/9;object-fit:cover;
  background:#000}}
.vd-card .body{{padding:9px 11px 11px;font-size:13px;line-height:1.45;color:{_TEXT}}}
.vd-card .head{{display:flex;justify-content:space-between;align-items:center;margin-bottom:4px}}
.vd-card .num{{font-family:ui-monospace,monospace;color:{_ACCENT};font-weight:700;
  letter-spacing:.08em}}
.vd-card .setup{{color:{_MUTED};font-size:12px;margin:2px 0 6px}}
.vd-card details{{margin-top:6px;color:{_MUTED};font-size:12px}}
.vd-card details p{{color:{_TEXT};white-space:pre-wrap}}
.vd-card .find{{color:#ff9b8f;font-size:12px}}
.vd-card .rev{{color:#8cc4ff;font-size:12px}}
.vd-shot{{margin:4px 0 16px}}
.vd-shot h3{{font-size:14px;margin:4px 0 8px;color:{_TEXT}}}
.vd-cast{{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:12px}}
.vd-empty{{color:{_MUTED};padding:24px;text-align:center;border:1px dashed {_LINE};
  border-radius:10px}}
.vd-contact img{{width:100%;border-radius:8px;border:1px solid {_LINE}}}
#vd-chat{{border-radius:10px}}
#vd-confirm{{box-shadow:0 0 0 2px {_ACCENT}}}
"""

# Gradio picks dark variables when the page root carries the "dark" class.
JS = ("() => { document.body.classList.add('dark'); "
      "document.documentElement.classList.add('dark'); }")
