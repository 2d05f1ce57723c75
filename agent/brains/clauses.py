"""One clause of a beat into a subject, the characters in frame and ONE primary action.

Who a clause is about comes from a character's name or alias at its start, a pronoun resolved
from the clauses before it (people.py), or the noun phrase before its verb. The action always
starts with a verb in the present tense ("a hermit crab dragging its shell" -> "drags its
shell"), so a prompt reads "<subject> <action>." as a sentence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from director.agent.brains.brieftext import split_sentences
from director.agent.brains.cues import Cues, split_cues
from director.agent.brains.grammar import verb_index
from director.agent.brains.people import Memory, Names
from director.prompts.vocabulary import (
    PERSON_WORDS,
    handle,
    is_base_verb,
    is_plural_noun,
    to_gerund,
    to_present,
    verb_base,
)

__all__ = ["DEFAULT_ACTION", "Memory", "Names", "clauses_of", "header_list", "is_setting_only",
           "primary", "referents", "split_subject", "verb_phrases"]

DEFAULT_ACTION = "holds still in frame"
"""The action of a beat that names only a thing, e.g. "a final wide of the whole set"."""
_PRONOUNS = {"she", "he", "they", "her", "him", "his", "them", "their", "together"}
_OPENERS = re.compile(r"^(?:(?:and\s+)?then|and|finally|and finally|next|after that|later|"
                      r"meanwhile|suddenly|now|at last|eventually)\b[,\s]*", re.IGNORECASE)
# "Sunrise over the rooftops": an event noun names its own subject and verb.
_EVENTS = {"sunrise": ("the sun", "rises"), "sunset": ("the sun", "sets"),
           "moonrise": ("the moon", "rises"), "dawn": ("dawn light", "spreads"),
           "nightfall": ("darkness", "falls"), "daybreak": ("first light", "spreads"),
           "rain": ("rain", "falls"), "snowfall": ("snow", "falls"), "snow": ("snow", "falls"),
           "fog": ("fog", "drifts"), "mist": ("mist", "drifts"), "lightning": ("lightning",
                                                                              "flashes")}


def clauses_of(text: str, listed: bool) -> list[str]:
    """A listed line keeps its sentences as clauses (it is one shot); narrative splits one
    clause per action: on "then", ";", and comma lists of verbs."""
    out: list[str] = []
    for sentence in split_sentences(text) if text.strip() else []:
        body = sentence.strip().rstrip(".!?")
        if listed:
            out += [p.strip() for p in re.split(r";\s*", body) if p.strip()]
            continue
        camera = bool(re.match(r"^(?:the\s+)?camera\b", body, re.IGNORECASE))
        pieces = re.split(r",?\s+(?:and\s+)?then\s+|;\s*", body)
        for i, piece in enumerate(pieces):
            if camera and i > 0 and not re.match(r"^(?:the\s+)?camera\b", piece, re.IGNORECASE):
                piece = f"The camera {piece}"
            if camera:
                out.append(piece)  # "the camera pans left, tilts up, ..." is camera words only
                continue
            elif i > 0 and (verb := _elided_verb(pieces[i - 1], piece)):
                piece = f"{verb} {piece}"  # "looks up at the clock, then back at him"
            out += _shot_list(piece) or verb_phrases(piece, r"(,\s*(?:and\s+)?)", finite=True)
    return [_OPENERS.sub("", c).strip() for c in out if _OPENERS.sub("", c).strip()]


def _shot_list(sentence: str) -> list[str]:
    """"cozy cafe, barista whisking matcha, pouring oat milk, latte art heart, customer
    smiles": a run of short comma-separated beats written as one sentence, one clause each."""
    parts = [p.strip() for p in re.split(r",\s*(?:and\s+)?", sentence) if p.strip()]
    if len(parts) < 3 or sum(len(p.split()) for p in parts) / len(parts) > 6:
        return []
    first = parts[0].split()
    if verb_index(first) is not None or verb_base(first[0]) or first[0].lower() in (
            "she", "he", "they", "it", "we", "i"):
        return []  # "He skids to a stop, grabs the ball, soaking wet" is one clause's actions
    acting = sum(1 for p in parts if verb_index(p.split()) is not None or (
        p.split() and (verb_base(p.split()[0]) or p.split()[0].endswith("ing"))))
    return parts if acting >= 2 else []


def _elided_verb(before: str, piece: str) -> str:
    """The verb a "then" clause leaves out ("then back at him" repeats "looks")."""
    first = piece.split()[0].lower() if piece.split() else ""
    if first not in ("back", "up", "down", "away", "over", "at", "to", "toward", "towards",
                     "into", "across", "around", "out", "off", "again"):
        return ""
    verb = next((w for w in before.split() if verb_base(w) and not w.endswith("ing")), "")
    return verb


def header_list(text: str) -> tuple[Cues, list[str]] | None:
    """"Macro and close shots of a tide pool: a crab dragging ..., an anemone closing ..., and
    finally a wide crane shot ..." -> the header's camera cues and one part per item."""
    m = re.match(r"^(?P<head>[^:\"“]{3,80}):\s*(?P<body>.+)$", text.strip())
    if not m:
        return None
    parts = [p.strip() for p in re.split(r",\s*(?:and\s+)?(?:finally\s+|then\s+)?|;\s*",
                                         m["body"].rstrip(".")) if p.strip()]
    plural = re.search(r"\b(?:shots|close-?ups|details|moments|images|vignettes)\b", m["head"],
                       re.IGNORECASE)
    if len(parts) < 2 or not (plural or len(parts) >= 3):
        return None
    if not all(verb_index(p.split()) is not None or split_cues(p)[0] for p in parts):
        return None
    cues, _ = split_cues(m["head"])
    return cues, parts


def is_setting_only(text: str, names: Names, memory: Memory) -> bool:
    """A clause about the place, not an action of anyone: it enriches the location instead."""
    if re.match(r"^(?:the\s+)?camera\b", text, re.IGNORECASE) or re.search(r"[\"“]", text):
        return False
    words = set(re.findall(r"[A-Za-z']+", text.lower()))
    if names.mentioned(text) or words & _PRONOUNS:
        return False
    tokens = text.split()
    if not tokens or verb_base(tokens[0]):
        return False
    if verb_index(tokens) is None and not any(verb_base(w) for w in tokens):
        return True
    return bool(names.all) and bool(re.search(
        r"\b(?:neon|rain|light|reflect\w*|sign|signs|fog|mist|snow|wind|shadows?|glow\w*|"
        r"puddles?|steam)\b", text, re.IGNORECASE))


def split_subject(t: str, names: Names, memory: Memory) -> tuple[str, tuple[str, ...], str]:
    """(subject, characters in frame, action) for one clause."""
    t = _drop_intro(_OPENERS.sub("", t.strip()).strip(" ,"), names)
    card = re.match(r"^(?:an?\s+|the\s+)?(?:title card|title|end card|text|caption|super|logo|"
                    r"tagline|card)\s+(?:over|on|against|above)\s+(?P<bg>.+)$", t, re.I)
    if card:  # lettering is added in the edit; the shot is the plate it sits on
        t = card["bg"]
    mentioned = names.mentioned(t)
    event = re.match(rf"^(?P<e>{'|'.join(_EVENTS)})\s+(?P<rest>(?:over|on|behind|across|in|at|"
                     r"above)\b.+)$", t, re.IGNORECASE)
    if event:
        subject, verb = _EVENTS[event["e"].lower()]
        return subject, mentioned, f"{verb} {event['rest']}"
    if re.match(r"^(?:an?|the)\s+(?:[\w-]+\s+)?voice\b", t, re.IGNORECASE) and \
            memory.last_characters:
        words = t.split()
        idx = verb_index(words)
        heard = " ".join([*words[:idx], to_gerund(words[idx]), *words[idx + 1:]]) if idx else t
        who = memory.last_characters
        return " and ".join(who), who, f"listens to {heard[0].lower()}{heard[1:]}"
    group = re.match(r"^(?:the\s+)?(?:two|three|four|five|six|both|all)(?:\s+of\s+them)?\s+"
                     r"(?P<rest>.+)$", t, re.IGNORECASE)
    first_word = group["rest"].split()[0] if group else ""
    everyone = memory.scene_characters or memory.recent
    if group and everyone and (verb_base(first_word) or is_base_verb(first_word)):
        # "the three of them stand on the rail": the characters so far, named
        who = tuple(everyone)
        return _people(who), who, _action(group["rest"], len(who) > 1, memory)
    if lead := names.lead_split(t):
        who, rest = lead
        memory.remember(who, "")  # "Joe and Lily laugh as she ...": she is one of them
        return _people(who), _ordered(who, mentioned), _action(rest, len(who) > 1, memory)
    pronoun = re.match(r"^(?P<p>she|he|they|it|we|i)\s+(?P<rest>.+)$", t, re.IGNORECASE)
    words = t.split()
    verb_first = bool(words) and bool(verb_base(words[0])) and not (
        len(words) > 1 and (verb_base(words[1]) or is_base_verb(words[1])))
    if pronoun or verb_first:
        said = pronoun["p"].lower() if pronoun else ""
        rest = pronoun["rest"] if pronoun else t
        plural = said in ("they", "we")
        who = memory.resolve(said, rest) if said else memory.last_characters
        person = said in ("she", "he")
        if person and not who and memory.last_person:
            return memory.last_person, mentioned, _action(rest, False, memory)
        if plural and not who and memory.last_group:
            return memory.last_group, mentioned, _action(rest, True, memory)
        if said == "it" or not who:
            thing = memory.last_plural if plural and memory.last_plural else (
                memory.hint or memory.last_object)
            thing = thing or "the subject"
            return thing, mentioned, _action(rest, is_plural_noun(thing), memory)
        return _people(who), _ordered(who, mentioned), _action(rest, len(who) > 1, memory)
    idx = verb_index(words)
    if idx is not None and words[idx].lower().strip(",") == "as":
        return _as_clause(" ".join(words[:idx]), " ".join(words[idx + 1:]), names, memory)
    # "dial catching the light" has its own noun before the participle; "his hands, gnarled,
    # pulling a carrot" does not: there the participle is the subject's own action.
    absolute = idx is not None and words[idx].lower().endswith("ing") and "," in " ".join(
        words[:idx]) and not words[idx - 1].endswith(",")
    subject = " ".join(words[:idx]) if idx else t
    if idx and "," in subject and not absolute:
        subject = subject.split(",")[0]  # "his hands, gnarled, pulling ...": the hands
    adverbs: list[str] = []
    while idx and subject.split() and re.fullmatch(r"[a-z]+ly", subject.split()[-1]) and \
            len(subject.split()) > 1:
        adverbs.insert(0, subject.split()[-1])  # "the fog slowly lifts" -> "lifts slowly"
        subject = " ".join(subject.split()[:-1])
    if (idx is None or absolute) and "," in t:
        # "the watch on a plinth, dial catching the key light": the phrase after the comma
        # describes the still subject; it is not the subject's own verb.
        subject, _, detail = t.partition(",")
        action = _still(is_plural_noun(subject), detail.strip())
    elif idx:
        action = _action(" ".join(words[idx:]), is_plural_noun(subject), memory)
        if adverbs:
            head, _, tail = action.partition(" ")
            action = " ".join([head, *adverbs, *([tail] if tail else [])])
    else:
        action = _still(is_plural_noun(subject))
    owner = re.match(r"^(?:her|his|their)\s+", subject, re.IGNORECASE)
    if owner and memory.last_characters:
        who = memory.last_characters[0]
        return f"{who}'s {subject[owner.end():]}", _ordered((who,), mentioned), action
    return subject, mentioned, _named_pronouns(action, memory)


_INTRO = re.compile(r"^(?:in|at|on|under|after|before|during|across|through|beneath|inside|"
                    r"outside|above|below|behind|with|from|along|near|by|as|when|while|once|"
                    r"beside|next to|opposite|alongside|meanwhile|later|suddenly)\b",
                    re.IGNORECASE)


def _drop_intro(t: str, names: Names) -> str:
    """"In the late afternoon light that falls across the hills, where ..., Giulia walks" ->
    "Giulia walks": a scene-setting opening phrase is not the subject; the clause after the
    comma that has a subject of its own is."""
    if not _INTRO.match(t) or "," not in t:
        return t
    for m in re.finditer(r",\s+", t):
        after = t[m.end():]
        words = after.split()
        if not words or words[0].lower() in ("where", "which", "who", "whose", "that", "and"):
            continue
        idx = verb_index(words)
        if names.lead_split(after) or re.match(r"(?:she|he|they|it)\s", after, re.I) or (
                idx is not None and idx <= 5 and words[idx].lower() != "as"):
            return after
    return t


def _as_clause(np: str, clause: str, names: Names, memory: Memory
               ) -> tuple[str, tuple[str, ...], str]:
    """"<framing> as <clause>": a person acting in the clause is the subject (the framing was
    only where the camera looked); a thing moving in it plays around a still subject."""
    back = re.match(r"^(?:she|he|they|it)\s+(?P<rest>.+)$", clause, re.IGNORECASE)
    if back:  # "Nadia as she smiles": the pronoun is the framed subject
        memory.hint = handle(np)
        sub, chars, action = split_subject(np + " " + back["rest"], names, memory)
        return sub, chars, action
    people = names.lead_split(clause)
    words = clause.split()
    idx = verb_index(words)
    person = people or (idx and any(w.lower() in PERSON_WORDS for w in words[:idx]))
    if person:
        memory.hint = handle(np)  # "the workshop door as Henrik opens it": "it" is the door
        subject, characters, action = split_subject(clause, names, memory)
        action = re.sub(r"\bit\b", handle(np), action, count=1)
        return subject, characters, action
    return np, names.mentioned(np + " " + clause), f"{_still(is_plural_noun(np))} as {clause}"


def _action(rest: str, plural: bool, memory: Memory) -> str:
    """A verb-first action from what follows the subject: participles become present tense,
    a verbless remainder ("asleep in his chair") becomes a held position."""
    rest = rest.strip(" ,")
    back = re.match(r"^as\s+(?:she|he|they|it)\s+(?P<rest>.+)$", rest, re.IGNORECASE)
    if back:
        rest = back["rest"]
    words = rest.split()
    if not words:
        return _still(plural)
    if len(words) > 1 and re.fullmatch(r"[a-z]+ly", words[0]) and (
            verb_base(words[1]) or is_base_verb(words[1])):
        words = [words[1], words[0], *words[2:]]  # "slowly walks" -> "walks slowly"
        rest = " ".join(words)
    first = words[0].lower().strip(",")
    if first in ("doesn't", "don't", "does", "do", "never", "won't", "can't", "cannot", "isn't",
                 "aren't") and (first.endswith("n't") or first == "never" or (
                     len(words) > 1 and words[1].lower() == "not")):
        return _still(plural)  # "he doesn't move": a model cannot film a "not"
    if first == "being":
        return " ".join(["are" if plural else "is", *words[1:]])
    if first in ("is", "are"):
        return rest
    present = to_present(first, plural)
    if present != first or verb_base(first) or is_base_verb(first):
        words[0] = present if present != first else words[0]
        return _named_pronouns(" ".join(words), memory)
    if re.fullmatch(r"[a-z]+[^s's]s", first) or first.endswith("ed"):
        return _named_pronouns(rest, memory)  # a verb the lexicon lacks ("scales", "gathered")
    return _still(plural, rest)


def _still(plural: bool, detail: str = "") -> str:
    """The held position of a subject with no verb of its own; a detail the brief gives
    ("asleep in his chair") is how it is held."""
    verb = "hold" if plural else "holds"
    return f"{verb} still, {detail}" if detail else f"{verb} still in frame"


def _people(who: Sequence[str]) -> str:
    return who[0] if len(who) == 1 else ", ".join(who[:-1]) + " and " + who[-1]


def referents(action: str, memory: Memory) -> tuple[str, ...]:
    """Characters a pronoun in the action points at ("as he breaks the first loaf")."""
    if re.search(r"\b(?:he|she|him|his|they|them|their)\b", action) and memory.last_characters:
        return memory.last_characters
    return ()


def _named_pronouns(action: str, memory: Memory) -> str:
    """A subject pronoun inside an action named ("as he breaks" -> "as Idris breaks"), so the
    prompt never leaves a model to guess who "he" is; left alone when it cannot be told."""
    def name(m: re.Match[str]) -> str:
        who = memory.resolve(m["p"], action) if memory.recent else memory.last_characters
        return f"{m['c']} {who[0]}" if len(who) == 1 else m.group(0)
    return re.sub(r"\b(?P<c>as|while|when|and|until) (?P<p>she|he)\b", name, action)


def _ordered(first: Sequence[str], more: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*first, *more]))


def primary(action: str) -> tuple[str, str]:
    """One primary action: the fullest verb phrase; later verbs become an end state
    ("slides the plate toward the lens and smiles" -> action + "smiling")."""
    # "then" always starts a new action; "and" and commas only when a verb follows.
    # A negated second half ("reaches out but does not touch it") is cut: a video model
    # renders what a prompt names, so "not" is an instruction it cannot follow.
    action = re.split(r",?\s+but\s+", action, maxsplit=1)[0]
    simultaneous = ""
    if len(action.split()) > 12 and (m := re.search(r"\s+while\s+", action)):
        action, simultaneous = action[:m.start()], action[m.end():]
    action, _, other = _new_clause(action)
    if simultaneous:
        other = ", ".join(p for p in (other, _gerund_clause(simultaneous)) if p)
    phrases = [p for piece in re.split(r",?\s+(?:and\s+)?then\s+|;\s*", action)
               for p in verb_phrases(piece, r"(,\s*(?:and\s+)?|\s+and\s+)")]
    if len(phrases) <= 1:
        return action.strip(), other
    # Participle phrases ("smiling for the first time") are manner, so a finite verb leads.
    finite = [p for p in phrases if not p.split()[0].endswith("ing")] or phrases
    primary_phrase = max(finite, key=len)
    later = phrases[phrases.index(primary_phrase) + 1:]
    after = ", ".join([*(" ".join([to_gerund(p.split()[0]), *p.split()[1:]]) for p in later),
                       *([other] if other else [])])
    words = primary_phrase.split()
    if words and words[0].endswith("ing"):
        words[0] = to_present(words[0])  # "smiles, holding the cup up": the holding leads
    return " ".join(words).strip(), after


def _gerund_clause(clause: str) -> str:
    """"she stops every few steps" -> "stopping every few steps" (its subject is the shot's)."""
    words = re.sub(r"^(?:she|he|they|it)\s+", "", clause.strip()).split()
    return " ".join([to_gerund(words[0]), *words[1:]]) if words else ""


def _new_clause(action: str) -> tuple[str, str, str]:
    """"spins and the heavy door swings open" -> ("spins", "and", "the heavy door swinging
    open"): a second clause with its own subject is the end state, not a second action."""
    for sep in re.finditer(r",\s*(?:and\s+)?|\s+and\s+", action):
        rest = action[sep.end():].split()
        if not rest or not re.fullmatch(r"(?:the|a|an|his|her|their|its|everyone|everybody|"
                                        r"someone|[A-Z][\w'’-]+)", rest[0]):
            continue
        for i in range(1, min(len(rest), 7)):
            word = rest[i].lower().strip(",.")
            nxt = rest[i + 1].lower() if i + 1 < len(rest) else ""
            plural_base = is_base_verb(word) and is_plural_noun(" ".join(rest[:i]))
            unknown = re.fullmatch(r"[a-z]{3,}[^su's]s", word) and nxt in (
                "along", "across", "through", "into", "over", "up", "down", "past", "away",
                "around", "out", "off", "toward", "towards")
            if word in ("is", "are") or plural_base or unknown or (
                    verb_base(word) and not word.endswith("ing")):
                if rest[i - 1].lower() in ("of", "in", "on", "at", "with", "by", "the", "a"):
                    break
                verb = "being" if word in ("is", "are") else to_gerund(word)
                clause = " ".join([*rest[:i], verb, *rest[i + 1:]])
                return action[:sep.start()].strip(" ,"), "and", clause
    return action, "", ""


def verb_phrases(text: str, separators: str, finite: bool = False) -> list[str]:
    """Split `text` at `separators` (one capturing group) only where a verb follows; with
    `finite`, not before a participle ("sprints across the beach, chasing a ball" is one
    action with its manner)."""
    pieces = re.split(separators, text)
    phrases = [pieces[0]]
    base_form = bool(pieces[0].split()) and is_base_verb(pieces[0].split()[0])
    for sep, seg in zip(pieces[1::2], pieces[2::2], strict=True):
        words = seg.split()
        # A verb the lexicon lacks still starts a phrase when an object follows it directly
        # ("and cocks its head").
        unknown = len(words) > 1 and re.fullmatch(r"[a-z]{3,}[^su's]s", words[0]) and \
            words[1].lower() in ("its", "his", "her", "their", "the", "a", "an")
        participle = finite and words and words[0].lower().endswith("ing")
        if words and not participle and (
                (verb_base(words[0]) and not (len(words) > 1 and verb_base(words[1])))
                or unknown or (base_form and is_base_verb(words[0]))):
            phrases.append(seg)
        else:
            phrases[-1] = f"{phrases[-1]}{sep}{seg}"
    return [p.strip() for p in phrases if p.strip()]
