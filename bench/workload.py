"""The benches' shared workload: a lighthouse story of twelve beats, cut into briefs of any
length (beats repeat past twelve), so every bench measures the same kind of film."""

from __future__ import annotations

from director.film import Brief

BEATS = [
    "A lighthouse keeper climbs the spiral stairs at dusk",
    "Waves break against the rocks below the tower",
    "The keeper trims the lamp's wick by hand",
    "A fishing boat rounds the headland in the rain",
    "The great lens begins to turn",
    "Gulls wheel through the sweeping beam",
    "The keeper writes in the logbook by lamplight",
    "The boat's crew spot the light and change course",
    "Rain streams down the lantern room glass",
    "The boat slips safely into the harbour",
    "The keeper pours tea from a dented kettle",
    "Dawn breaks and the lamp goes dark",
]


def lighthouse_brief(title: str, shots: int, *, offset: int = 0,
                     budget_usd: float | None = None) -> Brief:
    """A draft brief of `shots` 5 s beats starting at beat `offset`."""
    beats = [BEATS[(offset + i) % len(BEATS)] for i in range(shots)]
    return Brief(title=title, text=". ".join(beats) + ".", beats=beats,
                 target_duration_s=5.0 * shots, tier="draft", budget_usd=budget_usd)
