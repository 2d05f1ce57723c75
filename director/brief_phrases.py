"""Phrases inside a structured brief's fields: wardrobe as words ("sage green linen henley")
and lighting as a sentence, turned into fields; a location without lighting gets a stated
default for its time of day (every prompt needs a light direction)."""

from __future__ import annotations

import re
from typing import Any

_COLOURS = {"white", "black", "grey", "gray", "red", "green", "blue", "navy", "yellow", "orange",
            "brown", "beige", "cream", "ivory", "pink", "purple", "burgundy", "maroon", "olive",
            "khaki", "tan", "teal", "charcoal", "silver", "gold", "golden", "mustard", "crimson",
            "emerald", "camel", "indigo", "ochre", "rust", "scarlet", "turquoise", "violet",
            "off-white", "oatmeal", "sand", "stone", "slate"}
_SHADES = {"dark", "light", "pale", "deep", "bright", "forest", "sky", "royal", "dusty", "faded"}
_MATERIALS = {"cotton", "wool", "woollen", "linen", "silk", "leather", "suede", "denim", "tweed",
              "velvet", "corduroy", "cashmere", "satin", "nylon", "polyester", "canvas", "fleece",
              "flannel", "jersey", "knit", "knitted", "waxed", "waxed-cotton", "rubber", "felt",
              "lace", "chiffon", "mohair", "merino", "oilskin", "hemp", "straw", "shearling",
              "sheepskin", "tulle", "poplin", "chambray", "gabardine", "twill", "mesh", "vinyl",
              "fur", "faux", "patent", "gore-tex", "quilted", "down"}


# ---- phrases inside structured fields --------------------------------------------------------


def wardrobe_item(text: str) -> dict[str, str]:
    """"white cotton double-breasted chef jacket" -> colour, material, garment, so the parts can
    be checked; the words and their order are kept, so the phrase reads back unchanged."""
    words = re.sub(r"^(?:an?|the)\s+", "", text.strip(), flags=re.I).split()
    i = 0
    while i < len(words) - 1 and words[i].lower() in _COLOURS | _SHADES:
        i += 1
    if not any(w.lower() in _COLOURS for w in words[:i]):
        i = 0
    j = i
    while j < len(words) - 1 and words[j].lower() in _MATERIALS:
        j += 1
    return {"colour": " ".join(words[:i]), "material": " ".join(words[i:j]),
            "garment": " ".join(words[j:])}


def default_lighting(time_of_day: str) -> dict[str, Any]:
    """A stated, conventional setup for the time of day: every prompt needs a light direction,
    and a location without one would otherwise leave the model to guess."""
    when = time_of_day.lower()
    if any(w in when for w in ("night", "evening", "dusk", "blue hour", "midnight")):
        return {"source": "practical lamps", "direction": "camera-left at 45°", "side": "left",
                "colour_temperature_k": 3200, "quality": "soft"}
    if any(w in when for w in ("golden", "sunset", "sunrise", "dawn")):
        return {"source": "low sun", "direction": "camera-left, low and raking", "side": "left",
                "colour_temperature_k": 3500, "quality": "hard"}
    return {"source": "daylight", "direction": "camera-left at 45°", "side": "left",
            "colour_temperature_k": 5600, "quality": "soft"}


_SIDE_WORDS = (("left", r"\bleft\b"), ("right", r"\bright\b"),
               ("back", r"\b(?:behind|back|rim)\b"), ("top", r"\b(?:above|overhead|top)\b"),
               ("front", r"\bfront(?:al)?\b"))
SIDE_DIRECTIONS = {"left": "camera-left at 45°", "right": "camera-right at 45°",
                   "back": "behind the subject", "top": "overhead", "front": "beside the camera"}


def lighting_from_text(text: str, time_of_day: str) -> dict[str, Any]:
    """"soft window light from camera-right, 4300K" -> a Lighting dict over the default."""
    light = default_lighting(time_of_day)
    kelvin = re.search(r"(\d{4,5})\s*K\b", text)
    if kelvin:
        light["colour_temperature_k"] = int(kelvin.group(1))
    light["side"] = next((side for side, rx in _SIDE_WORDS if re.search(rx, text, re.I)),
                         light["side"])
    quality = re.search(r"\b(hard|soft)\b", text, re.I)
    if quality:
        light["quality"] = quality.group(1).lower()
    bare = re.sub(r"(?i),?\s*\d{4,5}\s*K\b|\b(?:hard|soft)\b,?", "", text).strip(" ,")
    # The last "from" names the direction: "firelight from the oven door from camera-right".
    source, _, direction = bare.rpartition(" from ") if " from " in bare else (bare, "", "")
    light["source"] = source.strip(" ,") or light["source"]
    light["direction"] = direction.split(",")[0].strip() or SIDE_DIRECTIONS[light["side"]]
    return light
