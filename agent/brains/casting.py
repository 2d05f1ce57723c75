"""Reading characters out of a brief's prose into bible entries with canonical descriptors.

Recognised forms: label lines ("Chef Ana: 40s, black hair in a tight bun, ...", "Character:
June — a woman in her early 30s, ...", "Runner: Priya, mid-20s, ..."), cast-list entries
("Dolores — waitress, 50s, ...", "- Nadia, early 40s, ..."), inline "Lena (early 40s, ...)",
"an old woman named Giulia, who is in her 80s and has ...", and an unnamed lead introduced with
a description ("A trail runner in her late 20s, short bleached-blonde hair, ..., runs down a
ridge"), who is cast as "the trail runner". The descriptor keeps the brief's own words in its
order, because the person chose them and every prompt will repeat them verbatim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from director.film import Character, WardrobeItem
from director.prompts.vocabulary import PERSON_WORDS, verb_base

_LABELS = frozenset({"character", "characters", "protagonist", "lead", "hero", "heroine", "cast",
                     "talent", "subject", "model", "starring"})
# Labels of a brief's own parts: "Brief: 20s spot ..." is no one's name.
_NOT_NAMES = frozenset({"brief", "note", "notes", "client", "product", "title", "format", "spot",
                        "ad", "duration", "platform", "deliverable", "deliverables", "length",
                        "style", "look", "tone", "mood", "audio", "sound", "music", "location",
                        "setting", "shots", "shot", "scene", "concept", "idea", "logline",
                        "summary", "objective", "goal", "audience", "brand", "campaign"})
TITLES = ("Chef", "Commander", "Captain", "Detective", "Inspector", "Officer", "Sergeant",
          "Agent", "Doctor", "Dr", "Professor", "Prof", "Grandma", "Grandpa", "Granny", "Nana",
          "Aunt", "Auntie", "Uncle", "Mr", "Mrs", "Ms", "Miss", "Sister", "Brother", "Father",
          "Mother", "Coach", "Nurse", "King", "Queen", "Prince", "Princess", "Lady", "Sir",
          "Madame", "Señor", "Señora", "Don", "Doña", "Abuela", "Abuelo", "Oma", "Opa")
_PERSON_CUES = re.compile(
    r"\b(?:hair|eyes|beard|bald|ponytail|braids?|bun|curls|bob|buzz cut|crew cut|undercut|"
    r"stubble|moustache|mustache|freckles|shaved head|pixie|pigtails|plaits|\d0s|"
    r"\d{1,2}[- ]years?[- ]old|aged?\s+\d+|about \d+|woman|man|girl|boy|she/her|he/him|"
    r"they/them)\b|^\s*\d{1,2}\s*(?:,|$)", re.IGNORECASE)
_AGE = re.compile(
    r"(?P<age>(?:(?:early|mid|late)[- ]?)?\d0s|(?:about|around|aged?)\s+\d{1,2}\b"
    r"|\d{1,2}[- ]years?[- ]old)", re.IGNORECASE)
_KIND = re.compile(r"\b(?:a|an)\s+(?P<kind>woman|man|girl|boy|teenager|person)\b", re.IGNORECASE)
_NAME = r"[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ][\w'’-]*"
# Names never span a line break: "... at First Light\n\nBiscuit (a retriever)" is Biscuit.
_FULL_NAME = rf"(?:(?:{'|'.join(TITLES)})\.?[ \t]+)?{_NAME}(?:[ \t]+{_NAME})?"
_GARMENTS = (
    "trench coat", "raincoat", "peacoat", "overcoat", "coat", "chef jacket", "jacket", "blazer",
    "cardigan", "sweater", "jumper", "hoodie", "t-shirt", "shirt", "blouse", "dress", "skirt",
    "jeans", "trousers", "pants", "shorts", "apron", "scarf", "headscarf", "hat", "cap", "beanie",
    "boots", "shoes", "sneakers", "trainers", "vest", "suit", "uniform", "gloves", "overalls",
    "parka", "kimono", "robe", "tunic", "gown", "waistcoat", "poncho", "leggings", "tracksuit",
    "jumpsuit", "bandana", "turtleneck", "anorak", "huipil", "sari", "hijab", "wetsuit",
    "flight suit", "helmet", "headband", "jersey", "polo", "sundress", "windbreaker", "tights",
    "hairnet", "oilskin", "softshell", "bomber", "puffer", "cardigan", "wellies", "tie",
    "sunglasses", "glasses",
)
_MATERIALS = (
    "waxed-cotton", "waxed cotton", "cotton", "wool", "linen", "leather", "denim", "silk",
    "corduroy", "tweed", "cashmere", "suede", "canvas", "nylon", "fleece", "velvet", "knit",
    "mesh", "polyester", "satin", "felt", "rubber", "gore-tex", "neoprene",
)
_COLOURS = (
    "black", "white", "grey", "gray", "red", "green", "blue", "navy", "yellow", "orange",
    "purple", "pink", "brown", "beige", "cream", "ivory", "mustard", "olive", "teal", "maroon",
    "burgundy", "tan", "khaki", "charcoal", "silver", "gold", "copper", "rust", "indigo",
    "emerald", "lilac", "camel", "lavender", "turquoise",
)
_SHADES = ("dark", "light", "pale", "deep", "bright", "neon", "forest", "sky", "off")
_BUILDS = ("slim", "tall", "short", "stocky", "broad-shouldered", "petite", "lanky", "muscular",
           "heavyset", "wiry", "athletic")


_BODY = {"hand", "hands", "face", "faces", "finger", "fingers", "crowd", "figure", "figures"}


@dataclass(frozen=True)
class Cast:
    """The characters of a brief, and the story text with their descriptions taken out."""

    characters: list[Character]
    story: str


def read_cast(text: str) -> Cast:
    """Characters stated anywhere in `text` (prepared text, one logical line per line)."""
    from director.agent.brains.brieftext import logical_lines

    found: dict[str, Character] = {}
    story_lines: list[str] = []
    for line in logical_lines(text, keep_blank=True):
        entry = _entry(line)
        if entry is not None:
            found.setdefault(entry.name, entry)
            continue
        story_lines.append(line)
    story = "\n".join(story_lines)

    def inline(m: re.Match[str]) -> str:
        name, desc = m["name"], m["desc"]
        if not _PERSON_CUES.search(desc) and not _garment(desc.lower()):
            return m.group(0)
        if name.isupper():  # screenplay introductions: "MARCUS (40s, aviator sunglasses)"
            name = " ".join(w.capitalize() for w in name.split())
        key = _first_name(name)
        found.setdefault(key, build_character(key, desc, _role(name), text))
        return name
    story = re.sub(rf"(?P<name>{_FULL_NAME}|[A-Z][A-Z'’-]+)[ \t]*\((?P<desc>[^)]+)\)", inline,
                   story)
    story = _unnamed_inline(story, found, text)
    story = re.sub(r"(?<=[\w)])\s*\((?P<desc>[^)]*\b(?:\d0s|years?[- ]old)\b[^)]*)\)", "", story)
    story = _named(story, found, text)
    story = _unnamed(story, found, text)
    return Cast(characters=list(found.values()), story=story)


def is_character_line(line: str) -> bool:
    """Whether a (list-marker-free) line is a cast entry rather than a beat."""
    return _entry(line) is not None


def _entry(line: str) -> Character | None:
    """A line that is one character's entry, in any of the label or cast-list forms."""
    line = re.sub(r"^\s*(?:[-*•]|\d+[.)])\s+", "", line).strip()
    m = re.match(r"^(?P<label>[A-Za-zÀ-ÿ][\w' .À-ÿ]{0,30}?)\s*:\s*(?P<body>.+)$", line)
    if m and not re.match(r'^\s*["“]', m["body"]):
        label, body = m["label"].strip(), m["body"].strip()
        if label.lower() in _NOT_NAMES:
            return None
        if label.lower() in _LABELS:
            if "(" in body and not re.match(rf"^{_FULL_NAME}\s*(?:—|–|-|,|:)", body):
                return None  # inline "Name (…)" forms are read from the whole text
            named = re.match(rf"^(?P<name>{_FULL_NAME})\s*(?:—|–|-|,|:)\s*(?P<desc>.+)$", body)
            if named and _PERSON_CUES.search(named["desc"]):
                role = "" if label.lower() in _LABELS else label.lower()
                return build_character(_first_name(named["name"]), named["desc"],
                                       role or _role(named["name"]), line)
            return None
        named = re.match(rf"^(?P<name>{_NAME})\s*(?:—|–|-|,)\s*(?P<desc>.+)$", body)
        if named and len(label.split()) == 1 and _PERSON_CUES.search(named["desc"]):
            return build_character(named["name"], named["desc"], label.lower(), line)
        if re.fullmatch(_FULL_NAME, label) and _PERSON_CUES.search(body) \
                and not _starts_with_verb(body):
            return build_character(_first_name(label), body, _role(label), line)
        return None
    m = re.match(rf"^(?P<name>{_FULL_NAME})\s*(?:—|–|,|\s-)\s*(?P<desc>.+)$", line)
    if m and _PERSON_CUES.search(m["desc"]) and not _starts_with_verb(m["desc"]):
        desc = m["desc"]
        # "Arvid, 60s, her father, white beard": the relation reads as part of the role.
        return build_character(_first_name(m["name"]), desc, _role(m["name"]), line)
    return None


def _starts_with_verb(body: str) -> bool:
    first = body.split()[0] if body.split() else ""
    return bool(verb_base(first))


def _first_name(name: str) -> str:
    words = [w for w in name.replace(".", "").split() if w not in TITLES]
    return words[0] if words else name


def _role(name: str) -> str:
    title = name.split()[0].rstrip(".") if name.split() else ""
    return title.lower() if title in TITLES and len(name.split()) > 1 else ""


def _named(story: str, found: dict[str, Character], text: str) -> str:
    """"an old woman named Giulia, who is in her 80s and has short white hair and wears a faded
    blue cotton dress, slowly walks" -> Giulia, with those items as her descriptor."""
    rx = re.compile(rf"\b(?:an?|the)\s+(?P<kind>(?:[\w-]+\s+){{0,3}}?[\w-]+)\s+(?:named|called)\s+"
                    rf"(?P<name>{_NAME})(?:,\s*who\s+(?P<who>[^,]+?)\s*,)?", re.IGNORECASE)

    def swap(m: re.Match[str]) -> str:
        name, kind = m["name"], m["kind"]
        if m["who"]:
            items = re.split(r"\s+and\s+(?:has\s+|wears\s+|is\s+)?|,\s*", m["who"])
            items = [re.sub(r"^(?:is|has|wears)\s+", "", i).strip() for i in items if i.strip()]
            wearing = [i for i in items if _garment(i.lower())]
            desc = ", ".join([f"{_article(kind)} {kind}", *[i for i in items if i not in wearing],
                              *wearing])
            found.setdefault(name, build_character(name, desc, "", text))
        return name
    return rx.sub(swap, story)


def _unnamed(story: str, found: dict[str, Character], text: str) -> str:
    """An unnamed lead described on introduction becomes a character named by their role."""
    heads = "|".join(sorted(set(PERSON_WORDS) - _BODY, key=len, reverse=True))
    rx = re.compile(rf"(?:(?<=^)|(?<=[.!?]\s)|(?<=\n))(?P<np>(?:A|An)\s+(?:[\w-]+\s+){{0,2}}?"
                    rf"(?P<head>{heads}))\b(?P<tail>[^.!?\n]*)")

    def swap(m: re.Match[str]) -> str:
        tail = m["tail"]
        cut = _verb_start(tail)
        desc = tail[:cut].strip(" ,") if cut is not None else ""
        if cut is not None and re.fullmatch(_NAME, desc):
            return f"{desc} {tail[cut:]}"  # "A lone climber, Aiko, scales ..." -> "Aiko scales"
        if cut is None or not (_PERSON_CUES.search(desc) or _garment(desc.lower())):
            return m.group(0)
        role = " ".join(m["np"].split()[1:])
        name = f"the {role.lower()}"
        descriptor = f"{m['np']}{' ' if not desc.startswith(',') else ''}{desc}".strip()
        descriptor = re.sub(r"\s+,", ",", descriptor)
        if name not in found:
            built = build_character(name, desc or role, "", text)
            found[name] = built.model_copy(update={"descriptor": descriptor})
        return f"The {role.lower()} {tail[cut:].strip()}"
    return rx.sub(swap, story)


def _unnamed_inline(story: str, found: dict[str, Character], text: str) -> str:
    """"A salaryman (50s, rumpled grey suit, tired eyes) sits ..." and "barista (she/her, 20s,
    green apron) whisking matcha": an unnamed person described in parentheses, cast by role."""
    heads = set(PERSON_WORDS) - _BODY
    # "a man in a tweed cap (60s, grey beard)": the person is the man; the cap describes him.
    rx = re.compile(r"(?P<np>\b(?:(?:a|an|the|A|An|The)\s+)?(?:[\w-]+\s+){0,2}?"
                    r"(?P<head>[a-z][\w-]+))(?P<tail>\s+(?:in|with|wearing)\s+[^().,;]{1,40}?)?"
                    r"[ \t]*\((?P<desc>[^)]+)\)")

    def swap(m: re.Match[str]) -> str:
        # A known person noun needs any description; another noun ("a salaryman") needs one
        # that only a person has (an age, hair, eyes).
        person = m["head"].lower() in heads
        if not (_PERSON_CUES.search(m["desc"]) or (person and _garment(m["desc"].lower()))):
            return m.group(0)
        words = m["np"].split()
        role = " ".join(words[1:] if words[0].lower() in ("a", "an", "the") else words).lower()
        name = f"the {role}"
        if name not in found:
            built = build_character(name, m["desc"], "", text)
            lead = f"{_article(role).capitalize()} {role}{m['tail'] or ''}"
            descriptor = built.descriptor.replace(name, lead, 1)
            found[name] = built.model_copy(update={"descriptor": descriptor})
        opens = not story[:m.start()].strip() or re.search(r"(?:[.!?]\s+|\n)$",
                                                            story[:m.start()])
        return f"The {role}" if opens else f"the {role}"
    return rx.sub(swap, story)


def _verb_start(tail: str) -> int | None:
    """Where the finite verb of an introduction sentence starts in its tail."""
    for m in re.finditer(r"(?:^|,\s*(?:and\s+)?|\s)(?P<w>[a-z]+)\b", tail):
        word = m["w"]
        before = tail[:m.start("w")].rstrip().lower()
        if before.endswith(("a", "an", "the", "her", "his", "their", "of", "with")):
            continue
        if verb_base(word) and word.endswith("s"):
            return m.start("w")
    return None


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def build_character(name: str, desc: str, role: str, text: str) -> Character:
    """A Character whose descriptor is "<Name>, <the brief's items in order>", with the age
    item spelled out ("40s" -> "a chef in their 40s") so a model cannot read it as a decade."""
    fields: dict[str, str] = {"age": "", "hair": "", "eyes": "", "build": ""}
    wardrobe: list[WardrobeItem] = []
    marks: list[str] = []
    phrases: list[str] = []
    items = _items(desc)
    # "waitress, 50s, ...": a bare role noun before the age is the role.
    if not role and len(items) > 1 and re.fullmatch(r"[a-z][a-z -]{1,40}", items[0]) \
            and _AGE.fullmatch(items[1].strip()) and not _garment(items[0]):
        role, items = items[0], items[1:]
    for item in items:
        low = item.lower()
        if re.fullmatch(r"(?:she|he|they)/(?:her|him|them)(?:/\w+)?", low):
            continue  # pronouns tell the reader, not the camera
        if re.fullmatch(r"\d{1,2}", item.strip()) and not fields["age"]:
            fields["age"] = item.strip()
            phrases.append(f"{item.strip()} years old")
            continue
        age = _AGE.search(item)
        if age and not fields["age"]:
            fields["age"] = age["age"]
            phrases.append(_age_phrase(item, age["age"], role, _pronoun(name, text, role,
                                                                        desc)))
        elif re.search(r"\b(?:hair|bald|ponytail|braids?|bun|curls|dreadlocks|afro|bob|buzz cut|"
                       r"crew cut|undercut|pixie|twists|shaved head)\b", low):
            fields["hair"] = item
            phrases.append(item)
        elif "eyes" in low:
            fields["eyes"] = item
            phrases.append(item)
        elif low.split()[0] in _BUILDS:
            fields["build"] = item
            phrases.append(item)
        elif _garment(low):
            wardrobe += [_wardrobe_item(p) for p in re.split(r"\s+and\s+", item) if _garment(p)]
            worn = _wearing(item)
            if phrases and phrases[-1].startswith("wearing "):
                worn = phrases.pop() + " and " + worn.removeprefix("wearing ")
            phrases.append(worn)
        else:
            marks.append(item)
            phrases.append(item)
    if role and not fields["age"]:
        lead = "" if re.match(r"(?:her|his|their|the|a|an)\s", role) else f"{_article(role)} "
        phrases.insert(0, f"{lead}{role}")
    descriptor = ", ".join([name, *phrases])
    return Character(name=name, wardrobe=wardrobe, marks=marks, descriptor=descriptor,
                     age=fields["age"], hair=fields["hair"], eyes=fields["eyes"],
                     build=fields["build"])


def _wearing(item: str) -> str:
    """"white double-breasted chef jacket" -> "wearing a white double-breasted chef jacket"."""
    low = item.lower()
    if low.startswith(("wearing", "in ", "dressed")):
        return item
    last = low.split()[-1] if low.split() else ""
    plural = (_garment(low).endswith("s") and not _garment(low).endswith("ss")) or (
        last.endswith("s") and not last.endswith(("ss", "us")))
    if not plural and not re.match(r"^(?:a|an|the|his|her|their)\s", low):
        item = f"{_article(low)} {item}"
    return f"wearing {item}"


def _items(desc: str) -> list[str]:
    desc = desc.strip().rstrip(".")
    return [i.strip() for i in re.split(r",\s*(?![^()]*\))", desc) if i.strip()]


def _age_phrase(item: str, age: str, role: str, pronoun: str) -> str:
    if _KIND.search(item) or item.strip() != age:
        return item  # the brief already wrote a phrase ("a woman in her early 30s")
    if re.fullmatch(r"(?:(?:early|mid|late)[- ]?)?\d0s", age, re.IGNORECASE):
        spelled = f"in {pronoun} {age}"
    elif re.fullmatch(r"(?:about|around|aged?)\s+\d{1,2}", age, re.IGNORECASE):
        spelled = f"{age} years old"
    else:
        spelled = age
    if not role:
        return spelled
    # "her grandson", "the engineer from the mainland" carry their own determiner.
    lead = "" if re.match(r"(?:her|his|their|the|a|an|my|our)\s", role) else f"{_article(role)} "
    return f"{lead}{role} {spelled}"


_FEMALE = {"waitress", "actress", "woman", "girl", "mother", "grandma", "granny", "nana",
           "grandmother", "aunt", "auntie", "queen", "princess", "lady", "sister", "mrs", "ms",
           "miss", "señora", "doña", "abuela", "oma", "heroine", "wife", "daughter", "bride",
           "granddaughter", "niece", "she"}
_MALE = {"man", "boy", "father", "grandpa", "grandfather", "uncle", "king", "prince", "sir",
         "brother", "mr", "señor", "don", "abuelo", "opa", "hero", "husband", "son", "groom",
         "grandson", "nephew", "he", "him"}


def _pronoun(name: str, text: str, role: str = "", desc: str = "") -> str:
    """her/his when the role, the description ("her father") or the brief's pronouns around
    the name agree, else their."""
    words = set(re.findall(r"[a-zñ]+", f"{role} {desc}".lower()))
    kin_f, kin_m = words & (_FEMALE - {"her"}), words & _MALE
    if kin_f and not kin_m:
        return "her"
    if kin_m and not kin_f:
        return "his"
    sentences = re.split(r"(?<=[.!?])\s+|\n", text)
    # The sentence naming them, and the next one when they lead theirs ("Lena packs. She
    # ..."); a spoken line's neighbours say nothing about its speaker.
    near = " ".join(" ".join(sentences[i:i + 2]) if re.match(rf"{re.escape(name)}\b", s)
                    else s for i, s in enumerate(sentences)
                    if name in s and not re.search(r"[\"“]", s))
    words = set(re.findall(r"[a-z]+", near.lower()))
    female, male = bool(words & {"she", "her", "woman", "girl"}), bool(words & {"he", "his",
                                                                                "him", "man"})
    return "her" if female and not male else "his" if male and not female else "their"


def _garment(low: str) -> str:
    return next((g for g in _GARMENTS if re.search(rf"\b{re.escape(g)}\b", low)), "")


def _wardrobe_item(phrase: str) -> WardrobeItem:
    """"a green waxed-cotton trench coat" -> colour green, material waxed-cotton, garment
    "trench coat"; parts the brief does not state stay empty rather than being invented."""
    words = re.sub(r"^(?:wearing|in)\s+", "", phrase.strip(), flags=re.IGNORECASE)
    words = re.sub(r"^(?:a|an|the)\s+", "", words, flags=re.IGNORECASE)
    colour = next((m.group(0) for c in _COLOURS
                   if (m := re.search(rf"\b(?:(?:{'|'.join(_SHADES)})\s+)?{c}\b", words))), "")
    material = next((m for m in _MATERIALS if re.search(rf"\b{re.escape(m)}\b", words)), "")
    garment = words
    for part in (colour, material):
        if part:
            garment = re.sub(rf"\b{re.escape(part)}\b", "", garment, count=1)
    garment = re.sub(r"\s+", " ", garment).strip(" ,-")
    return WardrobeItem(garment=garment or _garment(phrase.lower()), material=material,
                        colour=colour)
