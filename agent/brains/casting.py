"""Reading characters out of a brief's prose into bible entries with canonical descriptors.

Recognised forms: "Chef Ana: 40s, black hair in a tight bun, ...", "Character: June — a woman in
her early 30s, ...", "Runner: Priya, mid-20s, ..." and inline "Lena (early 40s, ...)". The
descriptor keeps the brief's own words in its order, because the person chose them and every
prompt will repeat them verbatim.
"""

from __future__ import annotations

import re

from director.film import Character, WardrobeItem

_LABELS = frozenset({"character", "characters", "protagonist", "lead", "hero", "heroine", "cast",
                     "talent", "subject", "model"})
_PERSON_CUES = re.compile(
    r"\b(?:hair|eyes|beard|bald|ponytail|\d0s|\d{1,2}[- ]years?[- ]old|aged?\s+\d+|about \d+"
    r"|woman|man|girl|boy)\b", re.IGNORECASE)
_AGE = re.compile(
    r"(?P<age>(?:(?:early|mid|late)[- ]?)?\d0s|(?:about|around|aged?)\s+\d{1,2}\b"
    r"|\d{1,2}[- ]years?[- ]old)", re.IGNORECASE)
_KIND = re.compile(r"\b(?:a|an)\s+(?P<kind>woman|man|girl|boy|teenager|person)\b", re.IGNORECASE)
_NAME = r"[A-Z][a-z][\w'-]*"
_GARMENTS = (
    "trench coat", "raincoat", "peacoat", "overcoat", "coat", "chef jacket", "jacket", "blazer",
    "cardigan", "sweater", "jumper", "hoodie", "t-shirt", "shirt", "blouse", "dress", "skirt",
    "jeans", "trousers", "pants", "shorts", "apron", "scarf", "headscarf", "hat", "cap", "beanie",
    "boots", "shoes", "sneakers", "trainers", "vest", "suit", "uniform", "gloves", "overalls",
    "parka", "kimono", "robe", "tunic", "gown", "waistcoat", "poncho", "leggings", "tracksuit",
    "jumpsuit", "bandana", "turtleneck", "anorak",
)
_MATERIALS = (
    "waxed-cotton", "waxed cotton", "cotton", "wool", "linen", "leather", "denim", "silk",
    "corduroy", "tweed", "cashmere", "suede", "canvas", "nylon", "fleece", "velvet", "knit",
    "mesh", "polyester", "satin", "felt", "rubber", "gore-tex",
)
_COLOURS = (
    "black", "white", "grey", "gray", "red", "green", "blue", "navy", "yellow", "orange",
    "purple", "pink", "brown", "beige", "cream", "ivory", "mustard", "olive", "teal", "maroon",
    "burgundy", "tan", "khaki", "charcoal", "silver", "gold", "copper", "rust", "indigo",
    "emerald", "lilac", "camel",
)
_SHADES = ("dark", "light", "pale", "deep", "bright", "neon", "forest", "sky", "off")
_BUILDS = ("slim", "tall", "short", "stocky", "broad-shouldered", "petite", "lanky", "muscular",
           "heavyset", "wiry", "athletic")


def read_characters(text: str, sentences: list[str]) -> list[Character]:
    """Characters stated in `sentences` (label lines) or inline anywhere in `text`."""
    found: dict[str, Character] = {}
    for sentence in sentences:
        for character in _from_label_line(sentence, text):
            found.setdefault(character.name, character)
    for m in re.finditer(rf"\b(?P<name>{_NAME})\s*\((?P<desc>[^)]+)\)", text):
        if _PERSON_CUES.search(m["desc"]):
            found.setdefault(m["name"], build_character(m["name"], m["desc"], "", text))
    return list(found.values())


def is_character_line(sentence: str) -> bool:
    return bool(_from_label_line(sentence, sentence))


def _from_label_line(sentence: str, text: str) -> list[Character]:
    m = re.match(r"^(?P<label>[A-Za-z][\w' ]{0,30}?)\s*:\s*(?P<body>.+)$", sentence.strip())
    if not m:
        return []
    label, body = m["label"].strip(), m["body"].strip()
    if label.lower() in _LABELS and "(" in body:
        return []  # inline "Name (…)" forms are read from the whole text
    named = re.match(rf"^(?P<name>{_NAME})\s*(?:—|–|-|,|:)\s*(?P<desc>.+)$", body)
    if named and len(label.split()) == 1 and _PERSON_CUES.search(named["desc"]):
        role = "" if label.lower() in _LABELS else label.lower()
        return [build_character(named["name"], named["desc"], role, text)]
    as_name = re.fullmatch(rf"(?:(?P<role>[A-Z][a-z]+)\s+)?(?P<name>{_NAME})", label)
    # "Mara: "It's yours."" is dialogue, not a description.
    dialogue = re.match(r'^\s*["“]', body)
    if as_name and label.lower() not in _LABELS and _PERSON_CUES.search(body) and not dialogue:
        role = (as_name["role"] or "").lower()
        return [build_character(as_name["name"], body, role, text)]
    return []


def build_character(name: str, desc: str, role: str, text: str) -> Character:
    """A Character whose descriptor is "<Name>, <the brief's items in order>", with the age
    item spelled out ("40s" -> "a chef in their 40s") so a model cannot read it as a decade."""
    fields: dict[str, str] = {"age": "", "hair": "", "eyes": "", "build": ""}
    wardrobe: list[WardrobeItem] = []
    marks: list[str] = []
    phrases: list[str] = []
    for item in _items(desc):
        low = item.lower()
        age = _AGE.search(item)
        if age and not fields["age"]:
            fields["age"] = age["age"]
            phrases.append(_age_phrase(item, age["age"], role, _pronoun(name, text)))
        elif re.search(r"\b(?:hair|bald|ponytail|braids?|bun|curls|dreadlocks|afro)\b", low):
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
    descriptor = ", ".join([name, *phrases])
    return Character(name=name, wardrobe=wardrobe, marks=marks, descriptor=descriptor, **fields)


def _wearing(item: str) -> str:
    """"white double-breasted chef jacket" -> "wearing a white double-breasted chef jacket"."""
    low = item.lower()
    if low.startswith(("wearing", "in ", "dressed")):
        return item
    plural = _garment(low).endswith("s")
    if not plural and not re.match(r"^(?:a|an|the|his|her|their)\s", low):
        item = f"{'an' if low[0] in 'aeiou' else 'a'} {item}"
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
    return f"a {role} {spelled}" if role else spelled


def _pronoun(name: str, text: str) -> str:
    """her/his when the brief's pronouns around the name agree, else their."""
    sentences = re.split(r"(?<=[.!?])\s+", text)
    near = " ".join(" ".join(sentences[i:i + 2]) for i, s in enumerate(sentences) if name in s)
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
