"""Word-level reading of a brief's English: where a clause's verb is, which words are places.

A closed-vocabulary heuristic grammar (the planner runs offline and deterministically): a verb
is a lexicon verb in an inflected form, or a verb the lexicon lacks that sits where a verb sits
("rain hammers the roof"); a place is a place noun after a place preposition.
"""

from __future__ import annotations

import re

from director.prompts.vocabulary import is_base_verb, is_plural_noun, verb_base

_PLACE_NOUNS = (
    "street", "road", "alley", "avenue", "gutter", "pavement", "sidewalk", "kitchen", "pass",
    "restaurant", "café", "cafe", "bar", "diner counter", "diner", "table", "counter", "desk",
    "office", "room", "bedroom", "hallway", "corridor", "lobby", "station", "platform", "park",
    "garden", "forest", "woods", "field", "meadow", "beach", "shore", "shoreline", "coast",
    "lake", "river", "mountain", "valley", "hill", "hills", "cliff", "desert", "rooftop",
    "roof", "balcony", "market", "shop", "studio", "stage", "bridge", "harbour", "harbor",
    "pier", "square", "warehouse", "workshop", "garage", "barn", "slab", "steps", "stairs",
    "stadium", "track", "skyline", "rooftops", "island", "lighthouse", "apartment", "attic",
    "basement", "bakery", "bakehouse", "court", "playground", "courtyard", "vineyard", "farm",
    "fjord", "glacier", "reef", "ocean", "sea", "bay", "cove", "dock", "marina", "deck", "cabin",
    "cupola", "module", "station", "spaceship", "orbit", "tavern", "pub", "library", "church",
    "temple", "shrine", "museum", "gallery", "hotel", "motel", "school", "classroom", "gym",
    "pool", "tower", "canyon", "jungle", "swamp", "tundra", "city", "village", "town",
    "parking lot", "car park", "highway", "tunnel", "subway", "train", "tram", "bus", "car",
    "boat", "ship", "wheat field", "plaza", "terrace", "patio", "porch", "yard", "shelter",
    "lab", "laboratory", "hospital", "bathroom", "living room", "lounge", "bench", "ridge",
    "summit", "trail", "path", "waterfall", "pond", "creek", "stream", "dunes", "bowl",
    "skatepark", "skate park", "set", "counter", "bench", "whaling station", "slipway",
)


def place_in(text: str) -> str:
    """The first place phrase in `text`, e.g. "a rainy city street", "the pass"."""
    nouns = "|".join(sorted(map(re.escape, set(_PLACE_NOUNS)), key=len, reverse=True))
    m = re.search(
        rf"(?:^|\b(?:in|on|at|across|through|along|down|into|inside|onto|by|near|beside|over|"
        rf"under|up|of|aboard|outside|above|below)\s+)(?P<place>(?:(?:a|an|the)\s+)?"
        rf"(?:(?!(?:at|in|on|with|as|and|of|by|to)\b)[\w'-]+\s+){{0,4}}(?:{nouns}))\b",
        text, re.IGNORECASE)
    if not m:
        return ""
    place = m["place"]
    words = place.split()
    # "Aiko scales a granite tower": the place starts after the verb, at its article.
    if any(verb_base(w) or is_base_verb(w) for w in words[:-1]):
        starts = [i for i, w in enumerate(words) if w.lower() in ("a", "an", "the")]
        place = " ".join(words[starts[-1]:]) if starts else words[-1]
    return place


_DETERMINERS = {"a", "an", "the", "her", "his", "their", "its", "my", "your", "our", "of",
                "this", "that", "these", "those", "some", "two", "three", "four", "five",
                "every", "each", "no"}
_PREPOSITIONS = {"by", "with", "of", "in", "on", "at", "from", "into", "onto", "over", "under",
                 "through", "across", "between", "among", "for", "without", "about", "after",
                 "before", "like"}
# Words after an unknown -s word that make it a verb ("rain hammers the roof", "smoke curls
# up"); a place preposition does not ("tomato vines in raised beds").
_FOLLOWERS = {"the", "a", "an", "across", "into", "through", "onto", "over", "along", "down",
              "up", "past", "slowly", "gently", "quietly", "toward", "towards", "off", "out",
              "away", "back", "her", "his", "their", "its", "around"}


def verb_index(words: list[str]) -> int | None:
    """Where the verb of a noun-phrase clause starts ("a paper boat drifting ..." -> 3)."""
    for i in range(1, len(words)):
        word = words[i].lower().strip(",.")
        if word == "as":
            return _unknown_verb_index(words[:i]) or i
        if word in ("is", "are", "being"):
            return i
        if is_base_verb(word) and words[i - 1].lower() not in _DETERMINERS and \
                words[i - 1].lower().strip(",") not in _PREPOSITIONS and \
                is_plural_noun(" ".join(words[:i])):
            return i  # "the doors close and the train leaves": plural subject, base form
        base = verb_base(word)
        if not base or words[i - 1].lower() in _DETERMINERS:
            continue
        nxt = words[i + 1].lower().strip(",.") if i + 1 < len(words) else ""
        if word.endswith("ing") and words[i - 1].lower().strip(",") in _PREPOSITIONS:
            continue  # "surrounded by drifting smoke": a participle used as an adjective
        if word in _ADJECTIVAL and nxt and not words[i].endswith(",") and _noun_like(nxt):
            continue  # "a single hanging lamp": the participle describes the noun after it
        if word.endswith("s") and nxt and verb_base(nxt) is None and is_base_verb(nxt):
            continue  # "ocean waves crash": the -s word is a plural noun
        if word.endswith("s") and words[i - 1].lower().strip(",") in ("of", "and"):
            continue  # "shelves of clocks", "salt and peppers"
        return i
    return _unknown_verb_index(words)


# Participles that usually describe the noun after them ("hanging lamp", "rolling hills")
# rather than take it as an object ("hands pouring water").
_ADJECTIVAL = frozenset({
    "hanging", "flickering", "buzzing", "ticking", "drifting", "glowing", "blinking",
    "swirling", "falling", "rising", "boiling", "running", "sleeping", "sizzling", "bubbling",
    "crackling", "flashing", "spinning", "rolling", "winding", "towering", "sparkling",
    "shimmering", "twinkling", "dangling", "waiting", "living", "dining", "swimming", "rocking",
    "walking", "steaming", "smoking", "burning", "melting", "crashing", "breaking", "howling",
    "whistling", "fading", "setting", "flowing", "gleaming", "humming", "dripping", "floating",
    "roaring", "rushing", "swaying", "looming", "gathering", "passing", "waving",
})
_NOT_NOUNS = _DETERMINERS | {"fast", "slowly", "quickly", "away", "back", "off", "up", "down",
                             "out", "home", "alone", "together", "again", "around", "forward",
                             "toward", "towards", "past", "by", "with", "into", "onto", "over",
                             "under", "through", "across", "along", "in", "on", "at", "from",
                             "to", "between", "and", "or", "as", "while", "like", "hard",
                             "gently", "softly", "quietly", "wildly", "madly", "here", "there"}


def _noun_like(word: str) -> bool:
    """Whether a word after a participle reads as the noun it describes, not its object."""
    return word not in _NOT_NOUNS and not word.endswith("ly") and not verb_base(word) and \
        not is_base_verb(word) and word.isalpha()


def _unknown_verb_index(words: list[str]) -> int | None:
    """Verbs outside the lexicon: "rain hammers the roof", "neon signs reflect on ..."."""
    for i in range(1, len(words)):
        word, prev = words[i].lower().strip(",."), words[i - 1].lower().strip(",")
        nxt = words[i + 1].lower() if i + 1 < len(words) else ""
        if prev in _DETERMINERS:
            continue
        if is_base_verb(word) and prev.endswith("s") and not prev.endswith("ss"):
            return i
        if is_base_verb(word) and is_plural_noun(" ".join(words[:i])) and \
                not re.search(r"\b(?:of|with|in|on|at)\s*$", " ".join(words[:i])):
            return i  # "June and Malik meet", "children chase": a plural subject, base form
        after = words[i + 2].lower() if i + 2 < len(words) else ""
        if re.fullmatch(r"[a-z]+[^su's]s", word) and nxt == "to" and (
                is_base_verb(after) or after in ("be", "move", "go", "fall")):
            return i  # "the second hand starts to move"
        if re.fullmatch(r"[a-z]+[^su's]s", word) and nxt in _FOLLOWERS and i >= 1 \
                and not prev.endswith(",") and not words[i].endswith(","):
            return i
    return None
