"""The verb lexicon the brief reader and the prompt checks share, and its inflections.

A small closed list rather than a tagger: the planner must run offline and deterministically,
and a beat's verb only has to be recognised, never generated. Nouns that are far more often
nouns than verbs in a brief ("light", "sign", "water", "fire") are left out on purpose, because
a false verb splits a subject such as "emergency lights glowing red" in the wrong place.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Final

ACTION_VERBS: Final[tuple[str, ...]] = (
    "adjust", "aim", "answer", "appear", "applaud", "apply", "approach", "arrange", "arrive",
    "ask", "assemble", "bake", "balance", "bark", "bat", "beckon", "bend", "bite", "blink",
    "blister", "bloom", "blossom", "blow", "board", "bob", "boil", "bounce", "bow", "braid",
    "brake", "break", "breathe", "brew", "brighten", "brush", "bubble", "build", "burn", "burst",
    "button", "buzz", "call", "carry", "carve", "catch", "celebrate", "chase", "check", "cheer",
    "chew", "chop", "chuckle", "circle", "clap", "clatter", "clean", "climb", "clink", "close",
    "collapse", "comb", "cook", "cough", "count", "cover", "crack", "cradle", "crash", "crawl",
    "creep", "cross", "crouch", "crumple", "crush", "cry", "curl", "cut", "dab", "dance", "dart",
    "dash", "descend", "dice", "dig", "dim", "dip", "disappear", "dive", "doze", "drag", "drain",
    "dribble", "drift", "drink", "drip", "drive", "drizzle", "drop", "drum", "dry", "duck", "dunk",
    "eat", "embrace", "emerge", "enter", "escape", "examine", "exhale", "exit", "fade", "fall",
    "fasten", "feed", "fetch", "fill", "find", "fix", "flap", "flare", "flash", "flee", "flicker",
    "flinch", "flip", "flit", "float", "flow", "flutter", "fly", "fold", "follow", "freeze",
    "frown", "fry", "gallop", "gasp", "gather", "gaze", "gesture", "giggle", "give", "glance",
    "glare", "gleam", "glide", "glint", "glisten", "glitter", "glow", "grab", "graze", "greet",
    "grill", "grin", "grind", "grip", "grow", "growl", "gulp", "gut", "haggle", "hammer", "hand",
    "hang", "harvest", "haul", "heave", "hide", "hike", "hiss", "hit", "hoist", "hold", "hop",
    "hover", "howl", "hug", "hum", "hurry", "ignite", "inhale", "inspect", "jog", "jump", "kick",
    "kiss", "knead", "kneel", "knit", "knock", "lace", "ladle", "land", "laugh", "lay", "lead",
    "leak", "lean", "leap", "leave", "lick", "lie", "lift", "limp", "linger", "listen", "load",
    "lock", "look", "loom", "lower", "lunge", "lurk", "march", "meet", "melt", "mend", "mix",
    "mop", "munch", "murmur", "mutter", "nibble", "nod", "nudge", "nuzzle", "observe", "offer",
    "open", "pace", "pack", "paddle", "paint", "pant", "park", "pass", "pat", "pause", "peck",
    "pedal", "peek", "peel", "peer", "perch", "pick", "pile", "place", "plate", "play", "pluck",
    "plunge", "point", "polish", "pop", "pose", "pounce", "pour", "pray", "press", "prowl", "puff",
    "pull", "pulse", "punch", "purr", "push", "put", "race", "raise", "rake", "rattle", "reach",
    "read", "reflect", "relax", "release", "repair", "reply", "rest", "return", "reveal", "ride",
    "ring", "rinse", "rip", "ripple", "rise", "roar", "rock", "roll", "rotate", "row", "rub",
    "rumble", "run", "rush", "rustle", "sail", "salute", "say", "scale", "scamper", "scatter",
    "scoop", "scowl", "scrape", "scratch", "scream", "scribble", "scroll", "scrub", "scurry",
    "seal", "sear", "search", "serve", "set", "settle", "sew", "shake", "shatter", "shave",
    "shift", "shimmer", "shine", "shiver", "shout", "shove", "show", "shrug", "shudder", "shuffle",
    "shut", "sift", "sigh", "simmer", "sing", "sink", "sip", "sit", "sizzle", "skate", "sketch",
    "ski", "skid", "skim", "skip", "slam", "sleep", "slice", "slide", "slip", "slither", "slump",
    "smash", "smile", "smirk", "smoulder", "snap", "snatch", "sneak", "sneeze", "sniff", "snore",
    "soar", "sob", "sort", "spark", "sparkle", "speak", "speed", "spill", "spin", "splash",
    "spray", "spread", "sprinkle", "sprint", "sprout", "squat", "squeeze", "squint", "stack",
    "stagger", "stalk", "stamp", "stand", "stare", "start", "steam", "steer", "step", "stir",
    "stitch", "stomp", "stop", "strain", "stretch", "stride", "stroke", "stroll", "strum", "strut",
    "study", "stumble", "surf", "swallow", "sway", "sweep", "swim", "swing", "swipe", "swirl",
    "swoop", "take", "talk", "tap", "taste", "tear", "tease", "tell", "thread", "throw", "tick",
    "tie", "tighten", "tilt", "tiptoe", "toast", "topple", "toss", "touch", "trace", "trickle",
    "trim", "trip", "trot", "trudge", "tuck", "tug", "tumble", "turn", "twinkle", "twirl", "twist",
    "type", "uncurl", "unfold", "unload", "unlock", "unwrap", "vanish", "wade", "wag", "wait",
    "wake", "walk", "wander", "warn", "wash", "watch", "wave", "weave", "weigh", "weld", "whip",
    "whisk", "whisper", "whistle", "wiggle", "wilt", "wink", "wipe", "wobble", "work", "wrap",
    "wrestle", "write", "yank", "yawn", "yell",
)
"""Base forms of actions a brief's beats use; third-person and -ing forms derive from them."""

LOCOMOTION_VERBS: Final[frozenset[str]] = frozenset({
    "walk", "run", "sprint", "jog", "stroll", "wander", "hurry", "pace", "trot", "skate",
    "ride", "drive", "cross", "march", "stride", "hike", "trudge", "race", "dash", "gallop",
    "limp", "chase", "flee",
})
"""Verbs that move the subject through space: a follow or handheld move suits them."""

SPEECH_VERBS: Final[frozenset[str]] = frozenset({
    "say", "ask", "reply", "answer", "whisper", "shout", "mutter", "murmur", "call", "yell",
    "warn", "tell", "scream", "cry", "sigh", "laugh", "add", "snap", "insist", "admit", "plead",
    "repeat", "respond", "tease", "demand", "explain", "announce", "agree", "continue", "begin",
    "interrupt", "joke", "protest", "breathe", "hiss", "growl", "sing", "shrug",
})
"""Verbs that attribute a quoted line to its speaker ("she whispers", "says Theo")."""

_DOUBLES: Final[frozenset[str]] = frozenset({
    "bat", "bob", "chop", "clap", "cut", "dab", "dig", "dim", "dip", "drip", "drop", "drum",
    "flip", "flit", "grab", "grin", "grip", "gut", "hit", "hop", "hug", "hum", "jog", "knit",
    "mop", "nod", "pat", "pop", "put", "rip", "rub", "run", "scrub", "set", "shrug",
    "shut", "sip", "sit", "skid", "skim", "skip", "slam", "slip", "snap", "sob", "spin", "step",
    "stir", "stop", "strum", "swim", "tap", "trim", "trip", "tug", "wag", "whip", "wrap",
})


def third_person(base: str) -> str:
    if base.endswith(("s", "sh", "ch", "x", "z")):
        return base + "es"
    if base.endswith("y") and base[-2:-1] not in tuple("aeiou"):
        return base[:-1] + "ies"
    return base + "s"


def gerund(base: str) -> str:
    if base.endswith("ie"):
        return base[:-2] + "ying"
    # One syllable ending consonant-vowel-consonant doubles its last letter: trot, fit, fan.
    if base in _DOUBLES or (len(re.findall(r"[aeiou]+", base)) == 1 and
                            re.fullmatch(r"[a-z]*[^aeiou][aeiou][^aeiouwxy]", base)):
        return base + base[-1] + "ing"
    if base.endswith("e") and not base.endswith(("ee", "ye", "oe")):
        return base[:-1] + "ing"
    return base + "ing"


@cache
def _verb_forms() -> dict[str, str]:
    """Inflected form -> base for every lexicon verb (third person and -ing)."""
    forms: dict[str, str] = {}
    for base in ACTION_VERBS:
        forms[third_person(base)] = base
        forms[gerund(base)] = base
    return forms


@cache
def _bases() -> frozenset[str]:
    return frozenset(ACTION_VERBS)


def is_base_verb(word: str) -> bool:
    """A lexicon verb in its base form ("crack", as in "hands crack four eggs")."""
    return word.lower().strip(".,;:!?") in _bases()


def verb_base(word: str) -> str | None:
    """The base of a third-person or -ing lexicon verb ("slides" -> "slide"), else None."""
    return _verb_forms().get(word.lower().strip(".,;:!?"))


def to_gerund(word: str) -> str:
    """"smiles" -> "smiling"; a third-person verb outside the lexicon is inflected by rule
    ("hammers" -> "hammering"); anything else is returned unchanged."""
    base = verb_base(word) or (word.lower() if word.lower() in _bases() else None)
    if base:
        return gerund(base)
    low = word.lower()
    if len(low) < 4 or not low.isalpha() or low.endswith(("ing", "ss")) or low[-1] != "s":
        return word
    if low.endswith(("shes", "ches", "xes", "zes", "sses")):
        return gerund(low[:-2])
    return gerund(low[:-1])


def to_present(word: str, plural: bool = False) -> str:
    """"drifting" -> "drifts" (or "drift" for a plural subject); a word that is not a lexicon
    verb form is returned unchanged, because guessing a stem ("mak-") is worse than keeping
    the participle."""
    low = word.lower()
    base = verb_base(low) if low.endswith("ing") else (low if low in _bases() else None)
    if base is None:
        return word
    return base if plural else third_person(base)


def is_plural_noun(phrase: str) -> bool:
    """Whether a noun phrase names several things ("hands", "the pigeons", "Ana and Ben"), so
    its verb takes the plural form."""
    words = re.findall(r"[^\W\d_][\w'-]*", phrase)
    if not words:
        return False
    if re.search(r"\band\b", phrase) and not re.search(r"\b(?:of|with)\b", phrase):
        return True
    # The head noun comes before any prepositional tail: "a pair of hands", "a lobby after
    # hours", "the bottle on the slab".
    core = re.split(r"\s+(?:of|after|before|on|in|at|with|from|under|over|behind|beside|near|"
                    r"by|into|for)\s+|,", phrase.lower())[0].split()
    head = core[-1] if core else words[-1].lower()
    irregular = {"people", "children", "men", "women", "feet", "teeth", "geese", "mice",
                 "sheep", "fish", "deer", "crew", "police", "cattle", "two", "three", "four",
                 "five", "six", "seven", "eight", "nine", "ten", "both", "all", "several",
                 "many", "dozens", "hundreds"}
    if head in irregular - {"sheep", "fish", "deer", "crew"}:
        return True
    return head.endswith("s") and not head.endswith(("ss", "us", "is", "'s")) and len(head) > 3
