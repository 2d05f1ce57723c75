"""The gaffer's decisions: the setting and time of day of a place, its lighting setup, the look
that goes with it, and its room tone.

Light the brief states wins ("red neon from the window sign, from camera-right"); otherwise
time of day and setting decide. Pure functions of their inputs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from director.film import Lighting
from director.prompts.vocabulary import (
    KELVIN_BY_SOURCE,
    LOOKS,
    MOOD_GROUNDING,
    is_base_verb,
    lighting_setup,
    to_gerund,
    verb_base,
)

_SETTINGS: tuple[tuple[str, str], ...] = (
    ("space", r"\b(?:space station|spacecraft|spaceship|cupola|zero[- ]g\w*|astronauts?|"
              r"in orbit|outer space|airlock)\b"),
    ("underwater", r"\b(?:underwater|under water|coral|reef|scuba|free ?divers?|seabed|"
                   r"sea floor|kelp forest)\b"),
    ("kitchen_pro", r"\b(?:chef|restaurant|the pass|service|line cooks?)\b"),
    ("street", r"\b(?:street|alley|avenue|road|gutter|sidewalk|pavement|city|crosswalk|"
               r"parking lot|rooftops?|plaza|town square|city square|market|terrace|patio|"
               r"balcony|porch)\b"),
    ("beach", r"\b(?:beach|shore(?:line)?|coast|sea|ocean|dunes?|sand|harbou?r|pier|fjord)\b"),
    ("nature", r"\b(?:forest|woods|meadow|field|mountain|valley|lake|river|jungle|desert|"
               r"canyon|hill|glade|ferns?|pines?|vineyard|ridge|summit|trail|redwoods?|"
               r"wheat|garden|park)\b"),
    ("stadium", r"\b(?:stadium|track|steps|stairs|court|playground|skate ?park)\b"),
    ("studio", r"\b(?:studio|slab|backdrop|seamless|plinth|pedestal|obsidian)\b"),
    ("kitchen", r"\bkitchen\b"),
    ("interior", r"\b(?:room|bedroom|office|caf[eé]|bar|diner|apartment|hallway|library|hotel|"
                 r"shop|store|lobby|gym|attic|workshop|tavern|shelter|bank|vault|bathroom)\b"),
    ("tabletop", r"\b(?:table|counter|desk|tray|countertop)\b"),
)
EXTERIOR = frozenset({"street", "beach", "nature", "stadium"})
_DAYLIGHT = frozenset({"", "day", "daytime", "morning", "afternoon", "midday", "noon",
                       "golden hour", "sunset", "sunrise", "dawn", "dusk"})
_TIMES = ("golden hour", "blue hour", "sunset", "sunrise", "dawn", "dusk", "midnight", "night",
          "evening", "morning", "afternoon", "midday", "noon", "daytime", "day")
_AMBIENCE = {"kitchen_pro": "kitchen ambience", "street": "distant traffic",
             "beach": "waves on the shore", "nature": "birdsong and wind in the trees",
             "stadium": "wind and a distant city hum", "underwater": "muffled ocean and bubbles",
             "space": "the low hum of life support"}


def setting_of(text: str) -> str:
    """A coarse setting key ("street", "kitchen_pro", "studio", ...) for light and look."""
    return next((key for key, rx in _SETTINGS if re.search(rx, text, re.IGNORECASE)), "")


def time_of_day(text: str) -> str:
    """The time of day the text states, in words or on a clock ("3 a.m." is night)."""
    low = text.lower()
    if re.search(r"\blate afternoon\b|\b(?:low and )?golden (?:light|sun|glow)\b", low):
        return "golden hour"
    named = next((t for t in _TIMES if re.search(rf"\b{t}\b", low)), "")
    if named:
        return named
    if re.search(r"\b(?:after hours|after dark|late at night|moonlit|candlelit dinner)\b", low):
        return "night"
    clock = re.search(r"\b(?P<h>\d{1,2})(?::\d{2})?\s*(?P<m>a\.?m\.?|p\.?m\.?)(?!\w)", low)
    if not clock:
        return ""
    hour = int(clock["h"]) % 12 + (12 if clock["m"].startswith("p") else 0)
    return ("night" if hour < 5 or hour >= 21 else "dawn" if hour < 7 else
            "morning" if hour < 12 else "afternoon" if hour < 17 else "golden hour"
            if hour < 19 else "evening")


def ambience(setting: str, text: str) -> str:
    if re.search(r"\brain\w*\b", text, re.IGNORECASE):
        return "rain on pavement, distant traffic" if setting in EXTERIOR else "rain on the windows"
    return _AMBIENCE.get(setting, "quiet room tone")


def scene_light(setting: str, time: str, text: str, stated: str) -> tuple[Lighting, str]:
    """The lighting setup of a place and the look that goes with it."""
    low = text.lower()
    if stated and (light := stated_lighting(stated, setting)):
        return light, _look_for_kelvin(light.colour_temperature_k, setting, time, low)
    if setting in ("space", "underwater"):
        key, look = setting, setting
    elif "candle" in low and not (setting in EXTERIOR and time in _DAYLIGHT):
        key, look = "candlelight", "candle"
    elif setting == "kitchen_pro":
        key, look = "kitchen", "kitchen"
    elif time in ("golden hour", "sunset", "dusk"):
        key, look = "golden_hour", "golden_hour"
    elif time in ("dawn", "sunrise"):
        key, look = "dawn", "golden_hour"
    elif time == "blue hour":
        key, look = "blue_hour", "overcast"
    elif time in ("night", "midnight", "evening"):
        if setting in EXTERIOR:
            # Streets have streetlights; a shore or a forest at night has the moon.
            urban = setting in ("street", "stadium")
            key = "night_neon" if "neon" in low else "streetlight" if urban and "moon" not in low \
                else "moonlight"
            look = "night_neon" if key == "night_neon" else "interior" if urban else "overcast"
        else:
            key, look = "tungsten_interior", "interior"
    elif setting == "studio":
        key, look = "studio_softbox", "product"
    elif setting in EXTERIOR:
        wet = re.search(r"\b(?:rain\w*|overcast|cloud\w*|grey|fog\w*|mist\w*|drizzle)\b", low)
        key = "overcast_day" if wet else "daylight"
        look = "overcast" if wet else "nature" if setting in ("nature", "beach") else "default"
    else:
        key, look = "morning_window", "morning"
    return _named_source(lighting_setup(key), low), look


_SOURCES = (("fluorescent", "fluorescent tubes", 4300, "hard, cool"),
            ("sodium", "sodium lamps", 2200, "hard"), ("neon", "neon signage", 4000, None),
            ("led", "LED panels", 5000, None), ("candle", "candle flames", 1900, None),
            ("firelight", "firelight", 2000, "soft, flickering"),
            ("lantern", "lanterns", 2400, "soft"), ("moonlight", "moonlight", 7000, None),
            ("tungsten", "tungsten lamps", 3200, None))


def _named_source(light: Lighting, text: str) -> Lighting:
    """A light the brief names without a direction ("cold fluorescent light", "lit by
    lanterns") replaces the setup's source and kelvin; the setup keeps its direction."""
    m = re.search(r"\b(?P<kind>fluorescent|sodium|neon|led|candle|firelight|lantern|moonlight|"
                  r"tungsten)\w*\s+(?:light|lights|lighting|lamps?|tubes?|glow|strips?|panels?)\b"
                  r"|\blit by (?:a |an |the )?(?P<by>fluorescent|lantern|candle|neon|tungsten)",
                  text)
    if not m:
        return light
    kind = m["kind"] or m["by"]
    row = next(r for r in _SOURCES if r[0] == kind)
    if row[1].split()[0] in light.source.lower():
        return light
    quality = row[3] or light.quality
    if re.search(r"\b(?:cold|cool|harsh)\b", text[max(0, m.start() - 12):m.start()]):
        quality = "hard, cool"
    return light.model_copy(update={"source": row[1], "colour_temperature_k": row[2],
                                    "quality": quality})


_SIDES = (("left", r"\bleft\b"), ("right", r"\bright\b"),
          ("back", r"\bbehind\b|\bbacklit\b|\bback ?light\b"),
          ("top", r"\babove\b|\boverhead\b|\bceiling\b"))
_QUALITY = "hard|harsh|direct|soft|diffused?|warm|cool|cold|gentle|bright|dim|narrow|thin"


def stated_lighting(statement: str, setting: str = "") -> Lighting | None:
    """"morning sunlight entering from a window on the left" -> window light from camera-left
    at 45°, 5600K; None when the statement gives no direction. In a statement of several lights
    ("fluorescent tubes overhead at 4300K, red neon from camera-right") the one with a side is
    the key and the others are kept beside it as named practicals."""
    clauses = [c.strip() for c in re.split(r",\s*(?=\D)|;\s*|\s+with\s+(?=(?:a|an|the|\w+)\s)",
                                           statement) if c.strip()]
    keyed = [(i, side) for i, c in enumerate(clauses)
             if (side := next((s for s, rx in _SIDES if re.search(rx, c.lower())), None))]
    if not keyed:
        return None
    horizontal = [k for k in keyed if k[1] in ("left", "right")]
    index, side = (horizontal or keyed)[0]
    key = clauses[index]
    low = key.lower()
    degrees = re.search(r"(\d{1,2})\s*(?:°|degrees)", statement.lower())
    angle = f" at {degrees.group(1)}°" if degrees else " at 45°"
    high = " high" if re.search(r"\b(?:upper|high|above)\b", low) and side in ("left",
                                                                           "right") else ""
    direction = {"left": f"camera-left{angle}{high and ', high'}",
                 "right": f"camera-right{angle}{high and ', high'}",
                 "back": "behind the subject", "top": "directly above"}[side]
    # The key's own kelvin; else one standing alone in the statement ("..., 2700K"), which
    # belongs to the key; else its source's typical one; else any stated; else daylight.
    own = re.search(r"\b(\d{4,5})\s?k\b", low)
    alone = next((m for i, c in enumerate(clauses) if i != index and not _names_a_light(c)
                  and (m := re.search(r"\b(\d{4,5})\s?k\b", c.lower()))), None)
    stated = re.search(r"\b(\d{4,5})\s?k\b", statement.lower())
    temp = int(own.group(1)) if own else int(alone.group(1)) if alone else next(
        (k for word, k in KELVIN_BY_SOURCE if word in low), 0) or (
        int(stated.group(1)) if stated else 5600)
    source = _source(key, setting)
    fixture = index
    if re.fullmatch(r"(?:key )?light|lamp|studio strobe", source):
        # "A single hanging lamp above the table, hard light from directly above": the side
        # is in one clause, the fixture that makes it in another.
        fixture = next((i for i, c in enumerate(clauses) if i != index and re.search(
            _FIXTURES, c, re.IGNORECASE)), index)
        if fixture != index:
            source = _source(clauses[fixture], setting)
            if not own and not alone:
                temp = next((k for word, k in KELVIN_BY_SOURCE if word in source.lower()), temp)
    # Other named lights stay beside the key; a clause that only restates it does not.
    extras = [_lower_first(_tidy(re.sub(r"^with\s+", "", c))) for i, c in enumerate(clauses)
              if i not in (index, fixture) and _names_a_light(c)
              and not re.fullmatch(r"(?:key )?light|lamp|studio strobe", _source(c, setting))]
    if extras:
        source += ", with " + " and ".join(extras)
    stated_quality = low if re.search(r"\b(?:hard|harsh|direct|narrow|soft|diffused?)\b", low) \
        else statement.lower()
    quality = "hard" if re.search(r"\b(?:hard|harsh|direct|narrow)\b", stated_quality) else (
        "hard, coloured" if "neon" in low else "soft")
    return Lighting(source=source, direction=direction, side=side,  # type: ignore[arg-type]
                    colour_temperature_k=min(12000, max(1000, temp)), quality=quality)


def _source(clause: str, setting: str) -> str:
    """The light's source in plain words, without its direction, kelvin or quality."""
    text = re.sub(r"\b(?:lit|illuminated)\s+(?:by|from|with)\s+", "", clause, flags=re.I)
    text = re.sub(r"\b(?:from|on|at|coming from|entering from)\s+(?:the\s+)?(?:camera|frame)?"
                  r"[- ]?(?:upper |lower )?(?:left|right|above|behind|overhead)\b.*?(?=,|$)",
                  "", text, flags=re.IGNORECASE)
    text = re.sub(r"\b(?:from|directly)\s+(?:directly\s+)?(?:above|behind|below)\b|"
                  r"\b(?:behind|above)\s+(?:her|him|them|the subject)\b|\bat \d+\s*"
                  r"(?:°|degrees)|\b(?:at\s+)?\d{4,5}\s?K\b|\bcamera[- ](?:left|right)\b", "", text,
                  flags=re.IGNORECASE)
    text = re.sub(rf"^(?:(?:one|a|an|the|single|{_QUALITY})\s+)+", "", text.strip(" ,"),
                  flags=re.IGNORECASE)
    text = re.sub(r"^key light\b|^key\b", "", text.strip(), flags=re.IGNORECASE)
    text = _tidy(text)
    words = text.split()
    for i, word in enumerate(words[1:], 1):  # "shafts of sunlight break through" -> "breaking"
        follows = words[i + 1].lower() if i + 1 < len(words) else ""
        if (verb_base(word) or is_base_verb(word)) and words[i - 1].lower() not in (
                "a", "an", "the", "of", "and") and follows in _PARTICLES:
            words[i] = to_gerund(word)
            break
    text = _lower_first(" ".join(words))
    if "window" in clause.lower() and "window" not in text.lower():
        text = f"{text or 'daylight'} through a window"
    if text:
        return text
    return {"studio": "studio strobe", "tabletop": "studio strobe"}.get(setting, "lamp")


_FIXTURES = (r"\b(?:lamps?|bulbs?|tubes?|neon|windows?|candles?|fire|flames?|sun|sunlight|"
             r"moon|moonlight|softbox|strobe|spotlight|lantern|torch|headlights?|screen)\b")
_PARTICLES = {"through", "into", "across", "over", "down", "up", "onto", "on", "from", "off",
              "out", "in", "along", "past", "around", "between"}


def _names_a_light(clause: str) -> bool:
    return bool(re.search(r"\b(?:light|lights|lamp|lamps|neon|tubes?|bulbs?|sun|glow|fill|rim|"
                          r"fluorescents?|candles?|fire|strip|practicals?)\b", clause, re.I))


def _lower_first(text: str) -> str:
    return text[0].lower() + text[1:] if text[:1].isupper() and not text[:2].isupper() else text


def _tidy(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip(" ,.;")
    return re.sub(r"\s+,", ",", text)


def _look_for_kelvin(kelvin: int, setting: str, time: str, text: str = "") -> str:
    if kelvin <= 2500:
        # Warm and low: flame light; which flame the text names decides the physical detail.
        if "candle" in text:
            return "candle"
        return "firelight" if re.search(r"\b(?:fire\w*|flames?|grill|oven|hearth|embers?|"
                                         r"coals?|torch\w*)\b", text) else "interior"
    if setting in ("studio", "space", "underwater"):
        return {"studio": "product"}.get(setting, setting)
    if time in ("morning", "dawn", "sunrise") or setting in ("tabletop", "kitchen"):
        return "morning"
    if time in ("golden hour", "sunset", "dusk"):
        return "golden_hour"
    if kelvin <= 3600 or time in ("night", "midnight", "evening"):
        return "interior"
    return "nature" if setting in ("nature", "beach") else "default"


def atmosphere(look: str, style: Sequence[str]) -> str:
    """Stock, grain and palette, the look's physical detail, and the brief's mood words
    translated into what the camera sees (ungrounded ones are dropped, not passed on)."""
    stock, grain, palette, detail = LOOKS[look]
    text = f"{stock}, {grain}, {palette}. {detail[0].upper()}{detail[1:]}."
    grounded = list(dict.fromkeys(MOOD_GROUNDING[w] for w in style if w in MOOD_GROUNDING))
    if grounded:
        mood = "; ".join(grounded)
        text += f" {mood[0].upper()}{mood[1:]}."
    return text
