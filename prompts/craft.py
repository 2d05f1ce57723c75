"""The craft rules as text: one source of truth for lint's reports and the LLM brain's templates.

lint.py reports a broken rule with the words in RULES; the instruction templates under
prompts/llm/ quote the same words (through `craft_rules_markdown`), so what the model is told
and what the code checks can never drift apart.
"""

from __future__ import annotations

from director.prompts.compose import MULTISHOT_SEGMENT_CHARS, WORD_RANGE
from director.prompts.vocabulary import FOCAL_LENGTHS, MOVE_PHRASES, VAGUE_WORDS

RULES: dict[str, str] = {
    "four_parts": "subject, camera, environment and atmosphere are all present",
    "word_count": f"single-shot prompts are {WORD_RANGE[0]}-{WORD_RANGE[1]} words",
    "segment_length": f"multi-shot segments are at most {MULTISHOT_SEGMENT_CHARS} characters",
    "camera_move": "the shot's camera move is named",
    "second_move": "exactly one camera move per clip",
    "one_action": "one primary action per clip",
    "framing": "no contradictory framing (a close-up together with full body or wide)",
    "light_direction": "the key light's direction is stated",
    "colour_temperature": "the key light's colour temperature is stated in kelvin",
    "focal_length": "a focal length is stated whenever a person is in frame",
    "vague_words": "no vague mood words; only what a camera setup sheet would say",
    "descriptor": "every character's descriptor appears verbatim",
    "negative_subject": "the negative prompt does not name the subject",
}
"""Rule id -> the rule, as lint reports it and as the LLM brain's instructions state it."""

FOUR_PARTS: tuple[tuple[str, str], ...] = (
    ("subject", "subject and action: who, with appearance, clothing material and colour"),
    ("camera", "camera: angle, height, ONE movement, focal length"),
    ("environment", "environment and lighting: place, time of day, light source position "
                    "and colour temperature"),
    ("atmosphere", "atmosphere and texture: film stock, grain, palette, mood grounded in "
                   "physical detail"),
)
"""The four parts of a prompt, in the order models weigh them."""

GUIDANCE: tuple[str, ...] = (
    "Light direction in every prompt (\"key light from camera-left at 45°, 3200K\") is the "
    "single highest-leverage detail.",
    "Bridging: end each clip with the subject in a stable, stated position and begin the next "
    "from that position; keep the lighting setup unless the scene changes.",
    "Character descriptors are repeated identically in every prompt the character appears in "
    "(age, hair colour and length, eyes, a specific garment with material and colour, a "
    "distinguishing feature); varying one lets the model vary the character.",
    "Cut any sentence that would not appear on a camera setup sheet.",
)
"""Craft advice that no single check covers, quoted to the model alongside RULES."""


def focal_lengths_text() -> str:
    """"24mm establishing, 50mm neutral, 85mm person, ..." from the lens table lint uses."""
    return ", ".join(f"{mm}mm {purpose}" for purpose, mm in FOCAL_LENGTHS.items())


def craft_rules_markdown() -> str:
    """The rules as a Markdown list, quoted verbatim into every instruction template."""
    lines = ["Four-part prompt, in this order:"]
    lines += [f"{i}. {text}" for i, (_, text) in enumerate(FOUR_PARTS, start=1)]
    lines.append("")
    lines.append("Rules the prompt is checked against (the checker's own words):")
    lines += [f"- `{rule}`: {text}" for rule, text in RULES.items()]
    lines.append("")
    lines.append(f"- Focal lengths: {focal_lengths_text()}.")
    lines.append("- Camera moves that models honour (use exactly one): "
                 + "; ".join(MOVE_PHRASES.values()) + ".")
    lines.append("- Vague mood words that are removed on sight: " + ", ".join(VAGUE_WORDS) + ".")
    lines += [f"- {text}" for text in GUIDANCE]
    return "\n".join(lines)
