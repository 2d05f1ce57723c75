"""The craft's constants: camera phrases models honour, lenses, shot sizes, vague words, light
setups, film looks and the small verb lexicon the prompt checks and the brief reader share.

Everything here is data or a pure function. Regexes are compiled on first use (cached), so
importing this module does no work.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import Final

from director.film import CameraAngle, CameraMove, Lighting, ShotSize

# The verb lexicon lives in verbs.py; its names stay importable from here (explicit re-exports).
from director.prompts.verbs import ACTION_VERBS as ACTION_VERBS
from director.prompts.verbs import LOCOMOTION_VERBS as LOCOMOTION_VERBS
from director.prompts.verbs import SPEECH_VERBS as SPEECH_VERBS
from director.prompts.verbs import gerund as gerund
from director.prompts.verbs import is_base_verb as is_base_verb
from director.prompts.verbs import is_plural_noun as is_plural_noun
from director.prompts.verbs import third_person as third_person
from director.prompts.verbs import to_gerund as to_gerund
from director.prompts.verbs import to_present as to_present
from director.prompts.verbs import verb_base as verb_base

# --- camera moves ------------------------------------------------------------------------------

MOVE_PHRASES: Final[dict[CameraMove, str]] = {
    "static": "static locked-off camera",
    "pan_left": "slow pan left",
    "pan_right": "slow pan right",
    "tilt_up": "slow upward tilt",
    "tilt_down": "slow downward tilt",
    "push_in": "slow dolly-in",
    "pull_out": "slow dolly-out",
    "orbit_left": "orbit 180 degrees to the left",
    "orbit_right": "orbit 180 degrees to the right",
    "crane_up": "crane shot rising upward",
    "crane_down": "aerial crane descending",
    "handheld": "handheld slight shake",
    "rack_focus": "rack focus from foreground to background",
}
"""The one phrase per move that video models are known to honour."""

# Recogniser rows: (key, pattern). Keys are CameraMove literals, or a generic family ("pan",
# "orbit", "crane", "track", "zoom") when the text names a move without its direction. Patterns
# demand camera context ("camera pulls back", "pull-back") so that an action such as "she pulls
# back the hood" or "a paper crane" is not mistaken for a move.
MOVE_PATTERNS: Final[tuple[tuple[str, str], ...]] = (
    ("static", r"\bstatic (?:locked-off )?(?:camera|shot|frame)\b"),
    ("static", r"\blocked[- ]off\b"),
    ("static", r"\bon a tripod\b"),
    ("static", r"\bcamera (?:stays|remains|holds) (?:still|static|locked)\b"),
    ("pan_left", r"\bpan(?:s|ning)?\s+(?:slowly\s+)?(?:to\s+(?:the\s+)?)?left\b"),
    ("pan_left", r"\bpan(?:s|ning)?\s+(?:slowly\s+)?(?:across\s+[\w\s'-]{0,40}?)?"
                 r"from\s+(?:the\s+)?right\s+to\s+(?:the\s+)?left\b"),
    ("pan_right", r"\bpan(?:s|ning)?\s+(?:slowly\s+)?(?:to\s+(?:the\s+)?)?right\b"),
    ("pan_right", r"\bpan(?:s|ning)?\s+(?:slowly\s+)?(?:across\s+[\w\s'-]{0,40}?)?"
                  r"from\s+(?:the\s+)?left\s+to\s+(?:the\s+)?right\b"),
    ("pan", r"\bwhip[- ]pan\b"),
    ("pan", r"\bpan(?:s|ning)?\s+(?:across|over|along)\b"),
    ("tilt_up", r"\btilt(?:s|ing)?[\s-]+(?:slowly\s+)?up(?:ward|wards)?\b"),
    ("tilt_up", r"\bupward tilt\b"),
    ("tilt_down", r"\btilt(?:s|ing)?[\s-]+(?:slowly\s+)?down(?:ward|wards)?\b"),
    ("tilt_down", r"\bdownward tilt\b"),
    ("push_in", r"\bdolly[- ]in\b"),
    ("push_in", r"\bpush[- ]in\b"),
    ("push_in", r"\bdolly(?:ing)? forward\b"),
    ("push_in", r"\bzoom(?:s|ing)?[- ]in\b"),
    ("push_in", r"\bcamera (?:slowly )?(?:pushes|moves|creeps|drifts|glides|dollies|tracks) "
                r"(?:in|forward|closer|toward)\b"),
    ("pull_out", r"\bdolly[- ](?:out|back)\b"),
    ("pull_out", r"\bpull-?back\b"),
    ("pull_out", r"\bpull[- ]out reveal\b"),
    ("pull_out", r"\bzoom(?:s|ing)?[- ]out\b"),
    ("pull_out", r"\bcamera (?:slowly )?(?:pulls|moves|drifts|glides|dollies|tracks) "
                 r"(?:back|out|away)\b"),
    ("orbit_left", r"\borbit(?:s|ing)?\b[^.,;]{0,30}?\bleft\b"),
    ("orbit_right", r"\borbit(?:s|ing)?\b[^.,;]{0,30}?\bright\b"),
    ("orbit", r"\borbit(?:s|ing)?\b"),
    ("orbit", r"\barc shot\b"),
    ("orbit", r"\bcamera (?:circles|arcs)\b"),
    ("orbit", r"\b(?:moves|swings|swings around|circles) to a side angle\b"),
    ("crane_up", r"\bcrane(?: shot)?[\s-]+(?:rising|rises|up|upward|ascending|ascends)\b"),
    ("crane_up", r"\b(?:rising|ascending) crane\b"),
    ("crane_up", r"\bjib[- ]up\b"),
    ("crane_down", r"\bcrane(?: shot)?[\s-]+(?:descending|descends|down|downward|lowering)\b"),
    ("crane_down", r"\b(?:descending|lowering) crane\b"),
    ("crane_down", r"\bjib[- ]down\b"),
    ("crane", r"\b(?:crane|drone|jib) shot\b"),
    ("handheld", r"\bhand-?held (?:camera|shot|shake|slight|follow|tracking|wobble)\b"),
    ("handheld", r"\bshaky[- ]cam\b"),
    ("handheld", r"\bcamera shake\b"),
    ("rack_focus", r"\brack(?:s|ing)?[- ]focus\b"),
    ("rack_focus", r"\bfocus pull\b"),
    ("rack_focus", r"\bpull(?:s|ing)? focus\b"),
    ("rack_focus", r"\bshift(?:s|ing)? focus\b"),
    ("track", r"\btracking shot\b"),
    ("track", r"\btrack(?:s|ing)? (?:alongside|with|behind|left|right)\b"),
    ("track", r"\btruck(?:s|ing)? (?:left|right)\b"),
    ("track", r"\bcamera follows\b"),
    ("track", r"\bsteadicam\b"),
    ("zoom", r"\b(?:crash|dolly|snap) zoom\b"),
)

MOVE_FAMILIES: Final[dict[str, str]] = {
    "pan_left": "pan", "pan_right": "pan", "tilt_up": "tilt", "tilt_down": "tilt",
    "orbit_left": "orbit", "orbit_right": "orbit", "crane_up": "crane", "crane_down": "crane",
}
"""A generic mention ("the camera orbits") is consistent with either direction of its family."""


@cache
def _compiled(patterns: tuple[tuple[object, str], ...]) -> tuple[tuple[object, re.Pattern[str]],
                                                                    ...]:
    return tuple((key, re.compile(src, re.IGNORECASE)) for key, src in patterns)


def _spans(patterns: tuple[tuple[object, str], ...], text: str) -> list[tuple[object, int, int]]:
    """(key, start, end) of every match, overlaps resolved to the earliest, then longest."""
    return list(_cached_spans(patterns, text))


@lru_cache(maxsize=4096)
def _cached_spans(patterns: tuple[tuple[object, str], ...], text: str
                  ) -> tuple[tuple[object, int, int], ...]:
    """Lint reads the same prompt text several times while fixing it; the spans of a text never
    change, so they are computed once."""
    hits = [(key, m.start(), m.end()) for key, rx in _compiled(patterns)
            for m in rx.finditer(text)]
    hits.sort(key=lambda h: (h[1], -(h[2] - h[1])))
    kept: list[tuple[object, int, int]] = []
    for hit in hits:
        if all(hit[2] <= k[1] or hit[1] >= k[2] for k in kept):
            kept.append(hit)
    return tuple(kept)


def find_moves(text: str) -> list[tuple[str, int, int]]:
    """Every camera move named in `text` as (key, start, end); "pans from left to right
    across" counts once, as pan_right."""
    return [(str(k), s, e) for k, s, e in _spans(MOVE_PATTERNS, text)]


def move_matches(key: str, move: CameraMove) -> bool:
    """Whether a recognised move key is the shot's move (or a generic mention of its family)."""
    return key == move or key == MOVE_FAMILIES.get(move)


# --- lenses, sizes, angles ---------------------------------------------------------------------

FOCAL_LENGTHS: Final[dict[str, int]] = {
    "establishing": 24,
    "neutral": 50,
    "person": 85,
    "macro": 100,
    "compression": 135,
}
"""Focal length in mm by purpose: 24 establishing, 50 neutral, 85 any person, 135 compression."""

SIZE_PHRASES: Final[dict[ShotSize, str]] = {
    "extreme_wide": "extreme wide shot",
    "wide": "wide shot",
    "medium": "medium shot",
    "close_up": "close-up",
    "extreme_close_up": "extreme close-up",
}

ANGLE_PHRASES: Final[dict[CameraAngle, str]] = {
    "eye_level": "camera",
    "low_angle": "low-angle camera",
    "high_angle": "high-angle camera",
    "overhead": "overhead camera",
    "dutch": "Dutch-angle camera",
}

SIZE_RANK: Final[dict[ShotSize, float]] = {
    "extreme_close_up": 0, "close_up": 1, "medium": 2, "wide": 3, "extreme_wide": 4,
}
FRAMING_PATTERNS: Final[tuple[tuple[float, str], ...]] = (
    (0, r"\bextreme close-?ups?\b"),
    (0, r"\bmacro\b"),
    (0, r"\bECU\b"),
    (1.5, r"\bmedium close-?ups?\b"),
    (1, r"\bclose-?ups?\b"),
    (2, r"\bmedium(?: wide)? shot\b"),
    (2, r"\bwaist-up\b"),
    (4, r"\bextreme wide shot\b"),
    (3, r"\bwide shot\b"),
    (3, r"\bfull[- ](?:body|length)\b"),
    (3, r"\bhead[- ]to[- ]toe\b"),
    (3, r"\bestablishing shot\b"),
    (3, r"\blong shot\b"),
)
"""Framing phrases by how much of the subject they show (0 = a detail, 4 = a landscape)."""
FRAMING_CLASH: Final[float] = 1.5
"""Two framings this far apart in one clip contradict each other (close-up with full body)."""


def find_framings(text: str) -> list[tuple[float, int, int]]:
    """Framing phrases in `text` as (rank, start, end), longest match first where they overlap."""
    return [(float(k), s, e) for k, s, e in _spans(FRAMING_PATTERNS, text)]  # type: ignore[arg-type]


FOCAL_PATTERN: Final[str] = r"\b\d{2,3}\s?mm\b"
KELVIN_PATTERN: Final[str] = r"\b\d{4,5}\s?K\b"
DIRECTION_PATTERN: Final[str] = (
    r"\bfrom (?:the )?(?:camera|frame)[- ]?(?:left|right)\b"
    r"|\bcamera[- ](?:left|right)\b"
    r"|\bfrom (?:directly |high )?(?:above|behind|below|overhead)\b"
    r"|\bfrom (?:the )?(?:left|right|front|back|side)\b"
    r"|\bback-?lit\b|\b(?:back|rim|top|side)[- ]?light\b"
)
"""Any statement of where the key comes from, relative to camera or subject."""

# --- words ---------------------------------------------------------------------------------------

VAGUE_WORDS: Final[tuple[str, ...]] = (
    "dramatic", "dramatically", "cinematic", "powerful", "beautiful", "beautifully", "stunning",
    "epic", "amazing", "breathtaking", "gorgeous", "awesome", "incredible", "majestic",
    "magical", "mesmerizing", "mesmerising", "spectacular", "striking", "evocative", "emotional",
    "atmospheric", "moody", "dreamy", "ethereal", "iconic", "masterpiece", "immersive",
    "captivating", "awe-inspiring", "jaw-dropping", "premium", "vibe", "vibes",
)
"""Mood words that name a feeling instead of a physical thing a camera or gaffer can set."""

PERSON_WORDS: Final[tuple[str, ...]] = (
    "woman", "women", "man", "men", "person", "people", "girl", "girls", "boy", "boys", "child",
    "children", "kid", "kids", "baby", "toddler", "teenager", "teen", "chef", "cook", "runner",
    "runners", "dancer", "dancers", "couple", "hand", "hands", "face", "faces", "finger",
    "fingers", "worker", "workers", "customer", "customers", "driver", "player", "players",
    "athlete", "model", "actor", "actress", "singer", "friend", "friends", "mother", "father",
    "son", "daughter", "barista", "crowd", "figure", "figures", "potter", "skater", "baker",
    "climber", "diver", "astronaut", "fisherman", "fishermen", "waiter", "waitress", "musician",
    "tourist", "tourists", "student", "students", "grandmother", "grandfather", "grandma",
    "grandpa", "grandson", "granddaughter", "nurse", "doctor", "detective", "officer", "soldier",
    "farmer", "surfer", "cyclist", "rider", "tailor", "mechanic", "painter", "artist", "bride",
    "groom", "family", "lady", "gentleman", "vendor", "vendors", "pilot", "swimmer", "hiker",
    "skier", "boxer", "commuter", "commuters", "passenger", "passengers", "shopkeeper",
    "bartender", "florist", "queen", "king", "warrior", "knight", "princess", "prince", "monk",
    "guard", "thief", "crew", "team", "audience", "fans", "mum", "mom", "dad", "brother",
    "sister", "wife", "husband", "uncle", "aunt", "stranger", "traveller", "traveler",
    "pedestrian", "pedestrians", "photographer", "coach", "teacher", "buyer", "buyers", "seller",
    "guest", "guests", "host", "engineer", "scientist", "commander", "watchmaker", "clockmaker",
    "carpenter", "butcher", "gardener", "mechanic", "firefighter", "nun", "priest", "jogger",
    "gymnast", "fighter", "protagonist", "hero", "heroine", "villain", "owner", "shepherd",
)
"""Words that put a person in frame, which makes a focal length mandatory."""


@cache
def vague_regex() -> re.Pattern[str]:
    """Matches any vague mood word as a whole word, case-insensitively."""
    return re.compile(r"\b(" + "|".join(map(re.escape, VAGUE_WORDS)) + r")\b", re.IGNORECASE)


def find_vague_words(text: str) -> list[str]:
    """The vague mood words in `text`, in order of appearance."""
    return [m.group(1) for m in vague_regex().finditer(text)]


def word_count(text: str) -> int:
    """Words as a person counts them: whitespace-separated tokens ("45°," and "3200K" are one)."""
    return len(text.split())


def handle(subject: str) -> str:
    """A short definite handle for a non-character subject, for positions and focus notes:
    "a ceramic cup on a wooden table" -> "the ceramic cup"."""
    head = re.split(r"\s+(?:on|in|at|with|beside|under|near|by|from|into|as|against)\s+|,",
                    subject.strip(), maxsplit=1)[0].strip()
    return re.sub(r"^(?:a|an)\s+", "the ", head, flags=re.IGNORECASE)


def has_person(subject: str) -> bool:
    words = set(re.findall(r"[a-z]+", subject.lower()))
    return bool(words & set(PERSON_WORDS))


# --- light ---------------------------------------------------------------------------------------

LIGHTING_SETUPS: Final[dict[str, dict[str, object]]] = {
    "golden_hour": dict(source="low golden-hour sun", direction="camera-right, low at 15°",
                        side="right", colour_temperature_k=3500, quality="warm, hard"),
    "dawn": dict(source="rising sun", direction="camera-left, low at 20°", side="left",
                 colour_temperature_k=3000, quality="soft, warm"),
    "night_neon": dict(source="neon signage", direction="camera-right at 60°", side="right",
                       colour_temperature_k=4000, quality="hard, coloured"),
    "streetlight": dict(source="sodium streetlight", direction="above camera-left", side="top",
                        colour_temperature_k=2200, quality="hard"),
    "moonlight": dict(source="moonlight", direction="behind the subject, camera-right",
                      side="back", colour_temperature_k=7000, quality="soft, cool"),
    "overcast_day": dict(source="overcast skylight", direction="above, slightly camera-left",
                         side="top", colour_temperature_k=6500, quality="soft, diffused"),
    "daylight": dict(source="midday sun", direction="camera-left at 60°, high", side="left",
                     colour_temperature_k=5600, quality="hard"),
    "morning_window": dict(source="morning window sunlight", direction="camera-left at 45°",
                           side="left", colour_temperature_k=5600, quality="soft"),
    "tungsten_interior": dict(source="tungsten practicals", direction="camera-right at 45°",
                              side="right", colour_temperature_k=3200, quality="warm, soft"),
    "kitchen": dict(source="tungsten heat lamps above the pass",
                    direction="above and camera-right at 45°", side="right",
                    colour_temperature_k=3200, quality="warm, hard"),
    "candlelight": dict(source="candle flame", direction="camera-left at 30°, below eye level",
                        side="left", colour_temperature_k=1900, quality="soft, flickering"),
    "studio_softbox": dict(source="large softbox", direction="camera-left at 45°", side="left",
                           colour_temperature_k=5000, quality="soft, diffused"),
    "blue_hour": dict(source="blue-hour skylight", direction="behind the subject, camera-left",
                      side="back", colour_temperature_k=9000, quality="soft"),
    "underwater": dict(source="sunlight filtering down through the water",
                       direction="above, slightly camera-right", side="top",
                       colour_temperature_k=7500, quality="soft, dappled"),
    "space": dict(source="unfiltered sunlight through the station windows",
                  direction="camera-left at 60°", side="left", colour_temperature_k=5600,
                  quality="hard"),
}
"""Gaffer setups by time of day and setting; build one with `lighting_setup`."""


def lighting_setup(key: str) -> Lighting:
    """A fresh Lighting for a setup key (fresh because Lighting is mutable)."""
    return Lighting.model_validate(LIGHTING_SETUPS[key])


KELVIN_BY_SOURCE: Final[tuple[tuple[str, int], ...]] = (
    ("candle", 1900), ("sodium", 2200), ("tungsten", 3200), ("lamp", 3200), ("practical", 3200),
    ("fire", 2000), ("golden", 3500), ("sunset", 3000), ("sunrise", 3000), ("low sun", 3200),
    ("setting sun", 3000), ("rising sun", 3000), ("morning sun", 4500), ("neon", 4000),
    ("fluorescent", 4000), ("moon", 7000), ("overcast", 6500), ("sky", 6500), ("window", 5600),
    ("sun", 5600), ("daylight", 5600), ("led", 5000), ("softbox", 5000),
)
"""Colour temperature of a light source named in a brief, first match wins."""

# --- looks ---------------------------------------------------------------------------------------

LOOKS: Final[dict[str, tuple[str, str, str, str]]] = {
    "night_neon": ("Kodak Vision3 500T film stock", "fine grain with halation around highlights",
                   "teal-and-magenta palette",
                   "rain streaks catching the neon, reflections rippling on wet asphalt"),
    "kitchen": ("Kodak Vision3 500T film stock", "fine grain", "amber and brushed-steel palette",
                "steam rising from the pans through the light"),
    "morning": ("Kodak Portra 400 look", "soft fine grain", "cream, oak and ceramic-white palette",
                "dust motes drifting in the sunbeam"),
    "golden_hour": ("Kodak Vision3 250D film stock", "light grain", "amber and honey palette",
                    "long shadows raking across the ground"),
    "overcast": ("Fujifilm Eterna look", "fine grain", "muted slate-grey and moss-green palette",
                 "wet surfaces holding soft grey reflections"),
    "nature": ("Kodak Vision3 250D film stock", "light grain", "deep greens and earth tones",
               "mist hanging low between the trunks"),
    "product": ("clean digital capture, ARRI Alexa look", "no visible grain",
                "neutral palette with one copper accent", "crisp edge highlights on every surface"),
    "interior": ("Kodak Vision3 500T film stock", "fine grain", "warm amber and walnut palette",
                 "practical lamps glowing softly in the background"),
    "candle": ("Kodak Vision3 500T film stock", "heavy grain", "deep amber and black palette",
               "candle flames flickering gently"),
    "default": ("35mm film look", "fine grain", "natural palette",
                "soft shadows with detail kept in the blacks"),
    "firelight": ("Kodak Vision3 500T film stock", "fine grain", "deep amber and charcoal palette",
                  "embers glowing and sparks drifting up through the light"),
    "underwater": ("clean digital capture, ARRI Alexa look", "no visible grain",
                   "deep teal and turquoise palette",
                   "caustic light patterns rippling across every surface"),
    "space": ("clean digital capture, ARRI Alexa look", "fine digital noise in the shadows",
              "cobalt blue and steel-grey palette", "hard-edged shadows with no haze in the air"),
}
"""Film stock, grain, palette and one physical mood detail per look."""

MOOD_GROUNDING: Final[dict[str, str]] = {
    "warm": "warm amber highlights",
    "cosy": "warm practical lamps glowing in the background",
    "cozy": "warm practical lamps glowing in the background",
    "quiet": "still air and slow, minimal motion",
    "calm": "slow, even motion and still air",
    "tactile": "visible texture in glaze, grain and fabric",
    "intimate": "shallow focus isolating the subject",
    "melancholic": "muted, desaturated tones",
    "melancholy": "muted, desaturated tones",
    "nostalgic": "faded highlights with gentle halation",
    "tense": "hard shadows cutting across the frame",
    "energetic": "fast motion inside the frame",
    "playful": "bright saturated accents",
    "clean": "spotless surfaces with no dust",
    "cool": "cool blue-grey shadows",
    "bright": "high-key exposure with open shadows",
    "dark": "low-key exposure with deep shadows",
    "gritty": "coarse grain and hard contrast",
    "lonely": "wide negative space around the subject",
    "hopeful": "light rising on the subject's face",
    "serene": "glassy, unbroken reflections",
    "misty": "low mist softening the background",
    "rainy": "rain streaks backlit against the dark",
    "natural": "true-to-life colour with no stylised grade",
}
"""Mood words a brief may use, translated into what the camera would actually see."""
