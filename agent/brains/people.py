"""Who is who in a brief: the cast's names and the words that refer to each, and the running
memory that resolves "she", "they" and a subject-less verb as the reading moves on.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from director.agent.brains.casting import TITLES
from director.film import Character
from director.prompts.vocabulary import PERSON_WORDS, handle, has_person, is_plural_noun


@dataclass
class Memory:
    """Who "she" and a subject-less verb refer to, as the reading moves through the beats."""

    last_characters: tuple[str, ...] = ()
    scene_characters: list[str] = field(default_factory=list)
    last_object: str = ""
    last_plural: str = ""
    scene: int = 0
    hint: str = ""
    """What a camera cue just named ("push in on a candle as it flickers": "it")."""
    recent: list[str] = field(default_factory=list)
    """Characters, most recently mentioned first."""
    last_person: str = ""
    """The last subject that is a person but not a cast member ("a warrior queen")."""
    last_group: str = ""
    """The last subject naming several uncast people ("Leila and Sebastián")."""
    genders: dict[str, str] = field(default_factory=dict)
    """"f" or "m" where the brief says (or a resolved pronoun showed) which; else absent."""

    def remember(self, characters: Sequence[str], subject: str) -> None:
        if characters:
            self.last_characters = tuple(characters)
            self.scene_characters += [c for c in characters if c not in self.scene_characters]
            self.recent = [*characters, *(c for c in self.recent if c not in characters)]
        elif subject:
            names = re.fullmatch(r"(?P<first>[A-Z][\w'’-]+)(?:,? (?:and )?[A-Z][\w'’-]+)*", subject)
            if has_person(subject) or names:
                # People the brief names without describing: "Leila and Sebastián walk ...
                # She turns" is one of the two (the first named); "They kiss" is both.
                self.last_person = names["first"] if names else handle(subject)
                if names and " " in subject:
                    self.last_group = subject
                return
            self.last_object = handle(subject)
            if is_plural_noun(self.last_object):
                self.last_plural = self.last_object

    def object_hint(self, story: str) -> None:
        self.hint = handle(re.split(r"\s+(?:as|while|when)\s+", story)[0])

    def resolve(self, pronoun: str, clause: str) -> tuple[str, ...]:
        """Who "she", "he" or "they" is: the most recent character of that gender; when no
        gender is known and the clause also holds an object pronoun of the other gender ("He
        hands her ..."), the object is the one just seen and the subject is the other."""
        p = pronoun.lower()
        if p in ("they", "we"):
            return tuple(self.scene_characters) or self.last_characters
        want = {"she": "f", "he": "m"}.get(p, "")
        pool = self.recent or list(self.last_characters)
        if not want or not pool:
            return self.last_characters
        known = [c for c in pool if self.genders.get(c) == want]
        if known:
            return (known[0],)
        open_ = [c for c in pool if c not in self.genders] or pool
        other = {"f": r"\b(?:him|his)\b", "m": r"\bher\b"}[want]
        pick = open_[1] if len(open_) > 1 and re.search(other, clause) else open_[0]
        self.genders[pick] = want
        return (pick,)


@dataclass(frozen=True)
class Names:
    """The cast's names, and the words that refer to each in the story."""

    all: tuple[str, ...]
    patterns: tuple[tuple[str, re.Pattern[str]], ...]
    genders: tuple[tuple[str, str], ...] = ()

    def memory(self) -> Memory:
        return Memory(genders=dict(self.genders))

    @classmethod
    def of(cls, characters: Sequence[Character], story: str) -> Names:
        titles = "|".join(TITLES)
        rows: list[tuple[str, re.Pattern[str]]] = []
        unseen: list[str] = []
        for c in characters:
            if c.name.lower().startswith("the "):
                head = re.escape(c.name.split()[-1])
                rx = rf"\b(?:[Tt]he|[Aa]n?|[Tt]his|[Tt]hat)\s+(?:[\w-]+\s+){{0,2}}?{head}\b"
            else:
                # Screenplays capitalise a name where it first appears ("MARCUS grips").
                rx = (rf"(?<![\w])(?:(?:{titles})\.?\s+)?(?:{re.escape(c.name)}|"
                      rf"{re.escape(c.name.upper())})(?![\w])")
                if not re.search(rx, story):
                    unseen.append(c.name)
            rows.append((c.name, re.compile(rx)))
        if len(unseen) == 1:
            # A cast member the prose never names ("A potter centres clay" in a structured
            # brief whose only character is Keiko) is the first person the prose introduces.
            heads = "|".join(sorted(PERSON_WORDS, key=len, reverse=True))
            first = re.search(rf"\b(?:a|an|the)\s+(?:[\w-]+\s+){{0,2}}?(?P<h>{heads})\b",
                              story, re.IGNORECASE)
            if first and first["h"].lower() not in ("hand", "hands", "face", "faces", "finger",
                                                    "fingers", "crowd", "people"):
                rx = rf"\b(?:[Tt]he|[Aa]n?)\s+(?:[\w-]+\s+){{0,2}}?{re.escape(first['h'])}\b"
                rows.append((unseen[0], re.compile(rx, re.IGNORECASE)))
        genders = tuple((c.name, g) for c in characters if (g := _gender(c)))
        return cls(all=tuple(c.name for c in characters), patterns=tuple(rows),
                   genders=genders)

    def mentioned(self, text: str) -> tuple[str, ...]:
        hits = sorted((m.start(), name) for name, rx in self.patterns
                      if (m := rx.search(text)))
        return tuple(dict.fromkeys(name for _, name in hits))

    def leading(self, text: str) -> tuple[str, ...]:
        lead = self.lead_split(text)
        return lead[0] if lead else ()

    def lead_split(self, text: str) -> tuple[tuple[str, ...], str] | None:
        """("Ana", "Ben"), "walk in" for "Ana and Ben walk in"; None when no name leads."""
        pos, found = 0, []
        while True:
            hit = next(((name, m) for name, rx in self.patterns
                        if (m := rx.match(text, pos))), None)
            if hit is None:
                break
            found.append(hit[0])
            pos = hit[1].end()
            # "Joe and his granddaughter Lily": a relation may stand before the next name.
            sep = re.match(r"\s*(?:,\s*(?:and\s+)?|and\s+|&\s*)(?:(?:his|her|their|the)\s+"
                           r"[\w-]+\s+)?", text[pos:])
            if sep and self._name_at(text, pos + sep.end()):
                pos += sep.end()
                continue
            break
        rest = text[pos:]
        if not found or (rest.strip(" .,") and not re.match(r"\s+[a-z]", rest)):
            return None
        return tuple(dict.fromkeys(found)), rest.strip(" .,")

    def _name_at(self, text: str, pos: int) -> bool:
        return any(rx.match(text, pos) for _, rx in self.patterns)

    def canonical(self, who: str) -> str:
        """A written name ("ROSA", "Detective Ruiz", "Rosa") as the bible spells it."""
        for name, rx in self.patterns:
            if rx.fullmatch(who) or name.lower() == who.lower() or rx.fullmatch(who.title()):
                return name
        words = [w for w in who.split() if w not in TITLES]
        return words[0] if words else who


def _gender(character: Character) -> str:
    """"f" or "m" when the descriptor says so ("a woman", "in her 30s", "a beard")."""
    text = character.descriptor.lower()
    female = re.search(r"\b(?:her|she|woman|girl|lady|mother|grandma|grandmother|waitress|"
                       r"actress|queen|princess|sister|daughter|wife|bride|dress|skirt|gown|"
                       r"sundress)\b", text)
    male = re.search(r"\b(?:his|he|man|boy|father|grandpa|grandfather|king|prince|brother|"
                     r"son|husband|groom|beard|moustache|mustache|stubble)\b", text)
    return "f" if female and not male else "m" if male and not female else ""
