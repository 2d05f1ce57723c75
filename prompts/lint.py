"""The craft rules as checks, and the mechanical fixes for the ones code can repair.

`lint` reads a PromptSpec against its Shot and the Bible; `lint_text` reads final provider text.
`fix` repairs everything mechanical (light, lens, vague words, a second move, a varied
descriptor, length) and returns what is left, which a person or a brain must resolve.
Character descriptors are masked while checking, so a check never flags (or edits) the
canonical wording the bible owns.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, ConfigDict

from director.film import Bible, PromptSpec, Shot
from director.prompts.compose import (
    MULTISHOT_SEGMENT_CHARS,
    WORD_RANGE,
    atmosphere_part,
    camera_part,
    compress_parts,
    descriptors_for,
    environment_part,
    fit_parts,
    split_sentences,
    subject_part,
)
from director.prompts.craft import RULES as CRAFT_RULES
from director.prompts.vocabulary import (
    DIRECTION_PATTERN,
    FOCAL_PATTERN,
    FRAMING_CLASH,
    KELVIN_PATTERN,
    MOVE_PHRASES,
    SIZE_RANK,
    find_framings,
    find_moves,
    find_vague_words,
    has_person,
    move_matches,
    vague_regex,
    verb_base,
    word_count,
)

MULTISHOT = "multishot"
"""Family name for one Kling 3.0 multi-shot segment: a character limit replaces the word range."""

# The rule texts live in craft.py, which the LLM brain's instructions quote word for word.
RULES = CRAFT_RULES
"""Rule id -> the rule, as reported."""

_SEQUENCERS = re.compile(
    r"\b(?:and then|then|after that|afterwards|followed by|before that|finally)\b", re.IGNORECASE
)
_ACTION_SPLIT = re.compile(r",\s*(?:and\s+|or\s+)?|\s+and\s+|\s+while\s+|;\s*")
_STOPWORDS = frozenset((
    "a", "an", "the", "and", "or", "of", "with", "on", "in", "at", "to", "from", "into", "its",
    "his", "her", "their", "by", "for", "as", "is", "are", "it", "this", "that", "very", "so",
    "mood", "feel", "feels", "look", "looks", "tone", "vibe", "overall", "scene", "shot", "style",
))
_MASK = "\u27e6{}\u27e7"
_QUOTED = re.compile(r'"[^"]*"|\u201c[^\u201d]*\u201d')


class LintFinding(BaseModel):
    """One craft rule a prompt breaks."""

    model_config = ConfigDict(extra="forbid")

    rule: str
    """Rule id, a key of RULES, e.g. "light_direction"."""
    message: str
    """What is wrong, in one line, quoting the offending words where there are any."""
    severity: Literal["error", "warning"] = "error"
    """error breaks a craft rule; warning is advice."""
    fixable: bool = False
    """Whether `fix` repairs it mechanically."""


def _finding(rule: str, message: str, fixable: bool, severity: str = "error") -> LintFinding:
    return LintFinding(rule=rule, message=message, fixable=fixable,
                       severity="warning" if severity == "warning" else "error")


# --- checking -----------------------------------------------------------------------------------


def lint(spec: PromptSpec, shot: Shot, bible: Bible, family: str = "kling") -> list[LintFinding]:
    """Every craft rule against one prompt spec; empty when the prompt is clean."""
    names = ("subject", "camera", "environment", "atmosphere")
    findings = [
        _finding("four_parts", f"the {name} part is empty", fixable=True)
        for name, part in zip(names, spec.parts(), strict=True) if not part.strip()
    ]
    return findings + lint_text(spec.text(), shot, bible, family, spec.negative_prompt)


def lint_text(text: str, shot: Shot, bible: Bible, family: str = "kling",
              negative_prompt: str = "") -> list[LintFinding]:
    """The rules that read prose, on final provider text (render labels and the audio cue are
    not prompt words, so they are set aside first)."""
    text = re.sub(r"\s*\bAudio:.*\Z", "", text, flags=re.DOTALL)
    text = re.sub(r"\b(?:Cinematography|Look):\s*", "", text)
    masked = _mask(text, descriptors_for(shot, bible))
    # Words a character speaks (or a sign reads) are not direction: "Then the sun comes up" in
    # a line of dialogue chains no actions and names no move.
    directed = unquoted(masked)
    return [
        *_check_length(text, family),
        *_check_moves(directed, shot),
        *_check_action(directed, shot),
        *_check_framing(directed),
        *_check_light(masked),
        *_check_focal(masked, shot),
        *_check_vague(directed),
        *_check_descriptors(text, shot, bible),
        *_check_negative(negative_prompt, shot),
    ]


def _check_length(text: str, family: str) -> list[LintFinding]:
    if family == MULTISHOT:
        if len(text) > MULTISHOT_SEGMENT_CHARS:
            return [_finding("segment_length", f"{len(text)} characters, over "
                             f"{MULTISHOT_SEGMENT_CHARS}", fixable=True)]
        return []
    low, high = WORD_RANGE
    n = word_count(text)
    if not low <= n <= high:
        return [_finding("word_count", f"{n} words, outside {low}-{high}", fixable=True)]
    return []


def _check_moves(text: str, shot: Shot) -> list[LintFinding]:
    move = shot.camera.move
    hits = find_moves(text)
    found: list[LintFinding] = []
    if not any(move_matches(key, move) for key, _, _ in hits):
        found.append(_finding("camera_move", f"the move {MOVE_PHRASES[move]!r} is not named",
                              fixable=True))
    others = sorted({text[s:e] for key, s, e in hits if not move_matches(key, move)})
    if others:
        found.append(_finding("second_move", f"a second camera move: {', '.join(others)}",
                              fixable=True))
    return found


def unquoted(text: str) -> str:
    """`text` with every quoted span (straight or curly double quotes) blanked out, so spoken
    words are never read as direction."""
    return _QUOTED.sub(" ", text)


def _check_action(text: str, shot: Shot) -> list[LintFinding]:
    found: list[LintFinding] = []
    action = unquoted(shot.action)
    chained = _SEQUENCERS.search(action) or _SEQUENCERS.search(text)
    if chained:
        found.append(_finding("one_action", f"actions chained with {chained.group(0)!r}",
                              fixable=False))
    # A segment starts a second action only when it opens with a verb that is not itself
    # followed by one ("sparks rising" is a noun and its participle, not "spark").
    segments = [seg.split() for seg in _ACTION_SPLIT.split(action) if seg.split()]
    verbs = [w[0] for w in segments if verb_base(w[0]) and not (len(w) > 1 and verb_base(w[1]))]
    if len(verbs) > 1 and not chained:
        found.append(_finding("one_action", f"{len(verbs)} actions in one clip: "
                              f"{', '.join(verbs)}", fixable=False))
    return found


def _check_framing(text: str) -> list[LintFinding]:
    hits = find_framings(text)
    if not hits:
        return []
    tight, broad = min(hits), max(hits)
    if broad[0] - tight[0] >= FRAMING_CLASH:
        return [_finding("framing", f"{text[tight[1]:tight[2]]!r} together with "
                         f"{text[broad[1]:broad[2]]!r}", fixable=True)]
    return []


def _check_light(text: str) -> list[LintFinding]:
    found: list[LintFinding] = []
    if not re.search(DIRECTION_PATTERN, text, re.IGNORECASE):
        found.append(_finding("light_direction", "no key light direction", fixable=True))
    if not re.search(KELVIN_PATTERN, text):
        found.append(_finding("colour_temperature", "no colour temperature in kelvin",
                              fixable=True))
    return found


def _check_focal(text: str, shot: Shot) -> list[LintFinding]:
    person = bool(shot.characters) or has_person(shot.subject) or has_person(text)
    if person and not re.search(FOCAL_PATTERN, text):
        return [_finding("focal_length", "a person is in frame but no focal length is given",
                         fixable=True)]
    return []


def _check_vague(text: str) -> list[LintFinding]:
    words = find_vague_words(text)
    if words:
        return [_finding("vague_words", f"vague mood words: {', '.join(words)}", fixable=True)]
    return []


def _check_descriptors(text: str, shot: Shot, bible: Bible) -> list[LintFinding]:
    found: list[LintFinding] = []
    for name in shot.characters:
        character = bible.character(name)
        if character is None:
            found.append(_finding("descriptor", f"{name} is not in the bible", fixable=False))
        elif character.descriptor not in text:
            found.append(_finding("descriptor", f"{name}'s descriptor is not verbatim",
                                  fixable=True))
    return found


def _check_negative(negative: str, shot: Shot) -> list[LintFinding]:
    offending = offending_terms(negative, shot)
    if offending:
        return [_finding("negative_subject", "the negative prompt names the subject: "
                         f"{', '.join(offending)}", fixable=True)]
    return []


def offending_terms(negative: str, shot: Shot) -> list[str]:
    """Comma-separated terms of a negative prompt that name the shot's subject or a character."""
    subject = {_stem(w) for w in re.findall(r"[A-Za-z'-]+", " ".join([shot.subject,
                                                                        *shot.characters]))}
    subject -= {_stem(w) for w in _STOPWORDS}
    terms = [t.strip() for t in negative.split(",") if t.strip()]
    return [t for t in terms if {_stem(w) for w in re.findall(r"[A-Za-z'-]+", t)} & subject]


def _stem(word: str) -> str:
    word = word.lower().removesuffix("'s")
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


# --- fixing -------------------------------------------------------------------------------------


def fix(spec: PromptSpec, shot: Shot, bible: Bible,
        family: str = "kling") -> tuple[PromptSpec, list[LintFinding]]:
    """Apply every mechanical fix, re-checking between rounds because one fix (padding) can
    depend on another (a restored descriptor); returns the spec and the findings left."""
    for _ in range(3):
        findings = lint(spec, shot, bible, family)
        rules = {f.rule for f in findings if f.fixable}
        if not rules:
            break
        spec = _apply(spec, shot, bible, family, rules)
    return spec, lint(spec, shot, bible, family)


def _apply(spec: PromptSpec, shot: Shot, bible: Bible, family: str,
           rules: set[str]) -> PromptSpec:
    descriptors = descriptors_for(shot, bible)
    parts = spec.parts()
    defaults = (subject_part(shot, bible), camera_part(shot), environment_part(shot, bible),
                atmosphere_part(shot, bible))
    parts = [p if p.strip() else d for p, d in zip(parts, defaults, strict=True)]
    if "descriptor" in rules:
        # A varied descriptor cannot be patched safely (the variant would stay beside the
        # canonical words), so part 1 is rebuilt from the shot, its source of truth.
        parts[0] = defaults[0]
    masked = [_mask(p, descriptors) for p in parts]
    if "vague_words" in rules:
        masked = [_remove(p, vague_regex(), _worth_keeping) for p in masked]
    if "second_move" in rules:
        masked = [_remove_other_moves(p, shot) for p in masked]
    if "framing" in rules:
        masked = [_remove_framing_clashes(p, shot) for p in masked]
    parts = [_unmask(p, descriptors) for p in masked]
    parts = _insert_missing(parts, shot, rules, descriptors)
    negative = spec.negative_prompt
    if "negative_subject" in rules:
        bad = set(offending_terms(negative, shot))
        negative = ", ".join(t.strip() for t in negative.split(",") if t.strip() not in bad)
    parts = _fit(parts, shot, bible, family)
    subject, camera, environment, atmosphere = parts
    return spec.model_copy(update=dict(subject=subject, camera=camera, environment=environment,
                                       atmosphere=atmosphere, negative_prompt=negative))


def _insert_missing(parts: list[str], shot: Shot, rules: set[str],
                    descriptors: list[str]) -> list[str]:
    """Add the move, the light and the lens where the rules found them missing (judged, like
    the checks, with descriptors masked: "a scar from the left brow" is not a light)."""
    parts = list(parts)

    def text() -> str:
        return _mask(" ".join(parts), descriptors)

    if not any(move_matches(k, shot.camera.move) for k, _, _ in find_moves(text())):
        parts[1] = _append(parts[1], f"Camera move: {MOVE_PHRASES[shot.camera.move]}")
    light = shot.lighting
    if not re.search(DIRECTION_PATTERN, text(), re.IGNORECASE):
        parts[2] = _append(parts[2], light.phrase())
    if not re.search(KELVIN_PATTERN, text()):
        parts[2] = _append(parts[2], f"Key light at {light.colour_temperature_k}K")
    if "focal_length" in rules and not re.search(FOCAL_PATTERN, text()):
        parts[1] = _append(parts[1], f"{shot.camera.focal_length_mm}mm lens")
    return parts


def _fit(parts: list[str], shot: Shot, bible: Bible, family: str) -> list[str]:
    if family == MULTISHOT:
        return compress_parts(parts, bible)
    return fit_parts(parts, shot, bible)


def _append(part: str, sentence: str) -> str:
    sentence = sentence.strip().rstrip(".")
    sentence = sentence[0].upper() + sentence[1:] + "."
    return f"{part.strip()} {sentence}".strip()


def _remove_framing_clashes(part: str, shot: Shot) -> str:
    """Drop framing phrases that contradict the shot's own size; the shot is the truth."""
    own = SIZE_RANK[shot.camera.size]
    spans = [(s, e) for rank, s, e in find_framings(part) if abs(rank - own) >= FRAMING_CLASH]
    return _cut_spans(part, spans)


def _remove_other_moves(part: str, shot: Shot) -> str:
    spans = [(s, e) for key, s, e in find_moves(part) if not move_matches(key, shot.camera.move)]
    return _cut_spans(part, spans)


def _cut_spans(part: str, spans: list[tuple[int, int]]) -> str:
    """Remove the clauses holding `spans` (just the spans where the clause is essential)."""
    for s, e in sorted(spans, reverse=True):
        part = part[:s] + "\u2060CUT\u2060" + part[e:]
    return _remove(part, re.compile("\u2060CUT\u2060"), _essential)


def _remove(part: str, rx: re.Pattern[str], keep: Callable[[str], bool]) -> str:
    """Delete what `rx` matches: just the matched words when the rest of the clause passes
    `keep`, otherwise the whole clause (it would not appear on a setup sheet)."""
    sentences = []
    for sentence in split_sentences(part):
        clauses = []
        for clause in sentence.rstrip(".").split(", "):
            if not rx.search(clause):
                clauses.append(clause)
                continue
            rest = _tidy(rx.sub("", clause))
            if keep(rest):
                clauses.append(rest)
        kept = _tidy(", ".join(clauses))
        if kept:
            sentences.append(kept[0].upper() + kept[1:] + ".")
    return " ".join(sentences)


def _essential(clause: str) -> bool:
    """A descriptor, a move, a lens, a kelvin or a direction: never deleted with a bad word."""
    if "\u27e6" in clause or find_moves(clause) or re.search(FOCAL_PATTERN, clause):
        return True
    return bool(re.search(KELVIN_PATTERN, clause)
                or re.search(DIRECTION_PATTERN, clause, re.IGNORECASE))


def _worth_keeping(clause: str) -> bool:
    """Essential, or still a concrete phrase (three content words) once the bad word is gone."""
    content = [w for w in re.findall(r"[A-Za-z0-9'-]+", clause) if w.lower() not in _STOPWORDS]
    return _essential(clause) or len(content) >= 3


def _tidy(text: str) -> str:
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\b(?:and|or|then|with|as)(?:\s+(?:a|an|the))?\s*(?=[,.;]|$)", "", text)
    text = re.sub(r"\b(?:a|an|the)\s*(?=[,.;]|$)", "", text)
    text = re.sub(r"\ban (?=[b-df-gj-np-tv-z])", "a ", text)
    text = re.sub(r"\s+([,.;])", r"\1", text)
    text = re.sub(r"([,;])\s*(?=[,.;])", "", text)
    text = re.sub(r"^[,;\s]+", "", text)
    return text.strip(" ,;")


def _mask(text: str, descriptors: list[str]) -> str:
    for i, d in sorted(enumerate(descriptors), key=lambda x: -len(x[1])):
        if d:
            text = text.replace(d, _MASK.format(i))
    return text


def _unmask(text: str, descriptors: list[str]) -> str:
    for i, d in enumerate(descriptors):
        text = text.replace(_MASK.format(i), d)
    return text
