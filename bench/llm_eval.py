"""How well an LLM endpoint directs the example briefs: prints one row per brief and totals.

    .venv/bin/python bench/llm_eval.py            # the endpoint in OPENAI_API_KEY/OPENAI_BASE_URL
    .venv/bin/python bench/llm_eval.py --fake     # offline, against the weak fake endpoint

Figures per brief: shots planned, the share of first drafts that were lint-clean before any
rewrite or fix (first-draft lint pass), the share of prompts that ended up lint-clean (final,
which code guarantees), the share of character descriptors the model carried verbatim into its
first draft, the share of prompts that kept the model's own text in all four parts (none taken
from the rules brain),
LLM calls, and tokens. Nothing is rendered.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def _brain(fake: bool, events: list[dict[str, Any]]) -> tuple[Any, Any]:
    from director.agent.brains.llm import make_llm_brain

    if not fake:
        return make_llm_brain(on_event=events.append), None
    sys.path.insert(0, str(REPO / "tests"))
    from fakes.openai_chat import FakeChat, weak_reply

    chat = FakeChat(auto=weak_reply)
    env = {"OPENAI_API_KEY": chat.key, "OPENAI_BASE_URL": "http://fake.local/v1",
           "DIRECTOR_LLM_MODEL": chat.model, "DIRECTOR_LLM_BACKOFF_S": "0"}
    return make_llm_brain(env=env, http_client=chat.http_client(), on_event=events.append), chat


def evaluate(brief_path: Path, brain: Any, events: list[dict[str, Any]]) -> dict[str, float]:
    from director.briefs import load_brief
    from director.prompts import lint
    from director.tools import catalog

    events.clear()
    brief = load_brief(brief_path)
    model = catalog.default_model(brief.tier, "animatic", aspect_ratio=brief.aspect_ratio,
                                  audio=brief.audio)
    started = time.perf_counter()
    shotlist = brain.plan(brief, model.durations)
    clean = 0
    for shot in shotlist.shots:
        spec = brain.write(shot, shotlist.bible)
        clean += not lint.lint(spec, shot, shotlist.bible, model.family)
    written = [e for e in events if e["event"] == "llm_written"]
    calls = [e for e in events if e["event"] == "llm_call"]
    shots = max(1, len(shotlist.shots))
    descriptors = sum(e["descriptors"] for e in written)
    return {
        "shots": len(shotlist.shots),
        "first_pass": sum(e["first_draft_findings"] == 0 for e in written) / shots,
        "final_pass": clean / shots,
        "carry": (sum(e["descriptors_carried"] for e in written) / descriptors
                  if descriptors else float("nan")),
        "kept": sum(e["used"] == "llm" and not e["parts_from_rules"] for e in written) / shots,
        "calls": len(calls),
        "tokens": sum(e["prompt_tokens"] + e["completion_tokens"] for e in calls),
        "seconds": time.perf_counter() - started,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fake", action="store_true", help="use the offline weak fake endpoint")
    parser.add_argument("briefs", nargs="*", type=Path,
                        default=sorted((REPO / "examples" / "briefs").glob("*.*")))
    args = parser.parse_args()
    if not args.fake and not (os.environ.get("OPENAI_API_KEY") or
                              os.environ.get("OPENAI_BASE_URL")):
        print("set OPENAI_API_KEY and/or OPENAI_BASE_URL (and DIRECTOR_LLM_MODEL), or pass --fake")
        return 2
    events: list[dict[str, Any]] = []
    brain, chat = _brain(args.fake, events)
    print(f"endpoint: {brain.describe()}")
    head = f"{'brief':24} {'shots':>5} {'1st-lint':>8} {'final':>6} {'carry':>6} {'kept':>5} " \
           f"{'calls':>5} {'tokens':>7} {'s':>6}"
    print(head)
    rows = []
    for path in args.briefs:
        row = evaluate(path, brain, events)
        rows.append(row)
        print(f"{path.stem[:24]:24} {row['shots']:5d} {row['first_pass']:8.0%} "
              f"{row['final_pass']:6.0%} {row['carry']:6.0%} {row['kept']:5.0%} "
              f"{row['calls']:5d} {row['tokens']:7d} {row['seconds']:6.1f}")
    shots = sum(r["shots"] for r in rows)

    def weighted(key: str) -> float:
        return sum(r[key] * r["shots"] for r in rows) / shots if shots else 0.0

    carried = [r["carry"] for r in rows if r["carry"] == r["carry"]]
    print(f"{'all':24} {shots / len(rows):5.1f} {weighted('first_pass'):8.0%} "
          f"{weighted('final_pass'):6.0%} "
          f"{(sum(carried) / len(carried) if carried else float('nan')):6.0%} "
          f"{weighted('kept'):5.0%} {sum(r['calls'] for r in rows) / len(rows):5.1f} "
          f"{sum(r['tokens'] for r in rows) / len(rows):7.0f}   (per-brief means)")
    if chat is not None and chat.violations:
        print("fake endpoint saw bad requests:", *chat.violations[:5], sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
