"""The Brain seam: the director's judgement, pydantic in and out.

`rules.py` decides offline and deterministically; an LLM brain implements the same protocol.
Code outside the brain enforces the craft (lint) and the one-variable rule, whatever brain runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from director.commands import ConverseContext, ConverseReply
from director.film import Bible, Brief, GenerationRequest, PromptSpec, QCReport, Revision, Shot
from director.plan import ShotList


class Brain(Protocol):
    name: str

    def plan(self, brief: Brief, durations: Sequence[float]) -> ShotList:
        """Turn a brief into a bible and a shot list.

        `durations` are the clip lengths the target model accepts (ascending); every shot's
        duration is one of them and their sum comes as close to the brief's target as they allow.
        """
        ...

    def write(self, shot: Shot, bible: Bible) -> PromptSpec:
        """Write the four-part prompt for one shot, pasting character descriptors verbatim."""
        ...

    def revise(
        self,
        shot: Shot,
        spec: PromptSpec,
        request: GenerationRequest,
        qc: QCReport,
        history: list[Revision],
    ) -> Revision | None:
        """Pick ONE variable to change for a failed take, or None to give up on the shot.

        Code applies the proposal and rejects it if anything but that variable changed.
        """
        ...

    def converse(self, message: str, context: ConverseContext) -> ConverseReply:
        """Answer free words from a person about the project (`context`) in a short reply, and
        propose commands (director/commands.py), each edit or retake changing ONE variable.

        Proposals are shown to the person; nothing that changes the plan or spends money runs
        until they say yes.
        """
        ...
