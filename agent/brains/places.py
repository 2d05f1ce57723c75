"""Where each shot is: the brief's stated locations, a scene's place with its setting
details, and the venues a montage names shot by shot ("in a candlelit tavern"), each with the
light it would really have.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from director.agent.brains.grammar import verb_index
from director.agent.brains.lighting import EXTERIOR, scene_light, setting_of
from director.agent.brains.normalise import clean, plain
from director.agent.brains.reading import BeatReading
from director.film import Location
from director.prompts.vocabulary import handle

_VENUES = (
    "bakery", "tavern", "bar", "pub", "café", "cafe", "restaurant", "harbour", "harbor",
    "market", "alley", "square", "plaza", "church", "temple", "shrine", "museum", "gallery",
    "library", "station", "hotel", "garage", "workshop", "office", "classroom", "school",
    "hospital", "gym", "pool", "beach", "forest", "garden", "courtyard", "rooftop", "pier",
    "dock", "marina", "tunnel", "subway", "ferry", "cabin", "tent", "barn", "farm", "vineyard",
    "bedroom", "bathroom", "living room", "hallway", "corridor", "attic", "basement", "shop",
    "store", "salon", "theatre", "theater", "cinema", "arena", "playground", "terrace",
)


def venue_for(beat: BeatReading, location: Location, venues: dict[str, tuple[Location, str]],
              taken: set[str], setting: str) -> tuple[Location, str] | None:
    """A venue the beat sets itself in that the scene's place does not cover ("in a candlelit
    tavern", "at the harbour" in a city montage), with its look; None keeps the scene's. The
    venue keeps the scene's time of day and is lit as that kind of place is."""
    nouns = "|".join(sorted(map(re.escape, _VENUES), key=len, reverse=True))
    m = re.search(rf"\b(?:in|at|inside)\s+(?P<p>(?:a|an|the)\s+(?:[\w'’-]+\s+){{0,3}}?"
                  rf"(?P<n>{nouns}))\b", re.sub(r'"[^"]*"|“[^”]*”', " ", beat.text),
                  re.IGNORECASE)
    if not m or m["n"].lower() in location.place.lower() or m["n"].lower() in location.name:
        return None
    place = clean(m["p"])
    time = location.time_of_day
    found = next((v for v in venues.values() if (v[0].place.lower(), v[0].time_of_day) == (
        place.lower(), time)), None)
    if found:
        return found
    # A venue lights itself: a tavern at golden hour is lit by its candles, not the sun.
    own = setting_of(place) or setting
    light, look = scene_light(own, time, f"{place} {beat.text}", "")
    if own == setting:
        light = location.lighting.model_copy()
    name = unique(handle(place).removeprefix("the "), taken | set(venues))
    venues[name] = (Location(name=name, place=place, time_of_day=time, lighting=light), look)
    return venues[name]


def given_location(locations: list[Location], number: int, text: str) -> Location | None:
    """A location the brief states: the one its name appears with, else the scene's own."""
    if not locations:
        return None
    named = [loc for loc in locations if loc.name.lower() in text.lower()]
    return named[0] if named else locations[min(number, len(locations) - 1)]


def stated_for_beat(beat: BeatReading, locations: list[Location], current: str
                     ) -> Location | None:
    """Of the brief's stated locations, the one a beat's words describe best ("turns the door
    sign as the street turns gold" is at "the bakery's street window with a hand-painted
    sign"), when it shares at least two content words with it and the current one shares
    fewer."""
    def words(text: str) -> set[str]:
        return {w for w in re.findall(r"[a-z]{3,}", text.lower())} - _COMMON

    said = words(beat.text)
    scored = sorted(((len(said & words(f"{loc.name} {loc.place}")), i)
                     for i, loc in enumerate(locations)), reverse=True)
    best, index = scored[0] if scored else (0, 0)
    here = next((len(said & words(f"{loc.name} {loc.place}")) for loc in locations
                 if loc.name == current), 0)
    return locations[index] if best >= 2 and best > here else None


_COMMON = frozenset({"the", "and", "with", "into", "onto", "from", "that", "this", "their",
                     "his", "her", "its", "over", "under", "through", "across", "small",
                     "large", "long", "old", "new"})


def place_text(found: str, setting: str, details: Sequence[str]) -> str:
    # With no place in the brief, a plain one for its setting: "the scene" tells a model
    # nothing, "an uncluttered interior room" at least commits to something it can render.
    place = found or {"studio": "a seamless studio set", "tabletop": "a tabletop set",
                      "space": "the interior of a space station",
                      "underwater": "a coral reef underwater", "street": "a city street",
                      "nature": "an open natural landscape", "beach": "an open beach",
                      "stadium": "an open-air sports ground", "kitchen": "a domestic kitchen",
                      "kitchen_pro": "a restaurant kitchen",
                      "interior": "an uncluttered interior room"}.get(setting,
                                                                     "an uncluttered location")
    if setting == "kitchen_pro" and "kitchen" not in place.lower():
        place += " of a restaurant kitchen"
    # Shouted fragments ("SLAM DUNK") and words that were only mood are not a setting.
    details = [c for d in details if (c := clean(d)) and not c.isupper() and len(c.split()) > 1]
    acting = [d for d in details if _has_verb(d)]
    still = [d for d in details if not _has_verb(d)]
    if acting:
        place += ", where " + " and ".join(d[0].lower() + d[1:] for d in acting)
    if still:
        place += ", with " + "; ".join(d[0].lower() + d[1:] for d in still)
    return plain(place)


def _has_verb(text: str) -> bool:
    return verb_index(text.split()) is not None


def default_time(setting: str) -> str:
    return "" if setting in ("studio", "kitchen_pro", "space", "underwater") else (
        "day" if setting in EXTERIOR else "")


def unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name} {n}", n + 1
    return candidate
