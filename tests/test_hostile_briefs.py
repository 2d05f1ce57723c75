"""The hostile brief corpus (tests/data/hostile): every file has its expected outcome in
expected.yaml, checked through the loader, and for some through `director plan` / `director run`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import director_in_process
from test_properties import FORBIDDEN

from director.briefs import load_brief
from director.errors import BriefError
from director.project import slugify

HOSTILE = Path(__file__).parent / "data" / "hostile"
EXPECTED: dict[str, dict[str, Any]] = yaml.safe_load(
    (HOSTILE / "expected.yaml").read_text(encoding="utf-8"))
CASES = sorted(EXPECTED)
CLI_CASES = [name for name in CASES if EXPECTED[name].get("cli")]
# Keys a person may have set; none may surface in anything a hostile brief makes us print.
FAKE_KEYS = {"OPENAI_API_KEY": "sk-test-HOSTILE-0penai", "KLING_SECRET_KEY": "kling-HOSTILE-secret",
             "KLING_ACCESS_KEY": "kling-HOSTILE-access", "FAL_KEY": "fal-HOSTILE-key"}


def test_every_file_has_an_expected_outcome() -> None:
    files = {p.name for p in HOSTILE.iterdir() if p.name != "expected.yaml"}
    assert files == set(EXPECTED)
    assert len(files) >= 35
    assert all(EXPECTED[name]["outcome"] in ("brief", "error") for name in files)


def loaded_strings(brief: Any) -> list[str]:
    people = [c.name for c in brief.characters] + [c.descriptor for c in brief.characters]
    places = [loc.name for loc in brief.locations] + [loc.place for loc in brief.locations]
    return [brief.title, brief.text, brief.style, *brief.beats, *people, *places]


@pytest.mark.parametrize("name", CASES)
def test_the_loader_does_what_the_manifest_says(name: str) -> None:
    case = EXPECTED[name]
    path = HOSTILE / name
    if case["outcome"] == "error":
        with pytest.raises(BriefError) as caught:
            load_brief(path)
        message = str(caught.value)
        assert message.startswith(f"{path}: ") and "\n" not in message
        assert not FORBIDDEN.search(message)
        for words in case["says"]:
            assert words in message, message
        return
    brief = load_brief(path)
    for field, value in case.get("fields", {}).items():
        assert getattr(brief, field) == value, field
    strings = loaded_strings(brief)
    for value in strings:
        assert not FORBIDDEN.search(value), repr(value)
        for bad in case.get("text_lacks", []):
            assert bad not in value, (bad, value)


def test_a_five_megabyte_brief_is_refused_for_its_size(tmp_path: Path) -> None:
    path = tmp_path / "epic.md"
    line = "A fisherman mends a net on the harbour wall while the gulls circle overhead.\n"
    path.write_text(line * (5 * 1024 * 1024 // len(line) + 1), encoding="utf-8")
    assert path.stat().st_size > 5 * 1024 * 1024
    with pytest.raises(BriefError, match=r"is 5,242,\d{3} bytes; a brief may be at most 1 MB"):
        load_brief(path)
    result = director_in_process("plan", str(path))
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "at most 1 MB" in result.stderr and "Traceback" not in result.stderr


def no_secret(text: str) -> None:
    for value in FAKE_KEYS.values():
        assert value not in text


@pytest.mark.parametrize("name", CLI_CASES)
def test_the_command_line_on_hostile_briefs(tmp_path: Path, name: str) -> None:
    case = EXPECTED[name]
    brief = tmp_path / name
    brief.write_bytes((HOSTILE / name).read_bytes())
    projects = tmp_path / "projects"
    env = {**FAKE_KEYS, "DIRECTOR_PROJECTS_DIR": str(projects)}
    if case["cli"] == "plan":
        result = director_in_process("plan", str(brief), "--json", "--brain", "rules", env=env)
    else:
        result = director_in_process("run", str(brief), "--brain", "rules", env=env)
    printed = result.stdout + result.stderr
    assert "Traceback" not in printed and "internal error" not in printed
    assert "\x1b" not in printed and not FORBIDDEN.search(printed.replace("\n", " "))
    no_secret(printed)
    if case["outcome"] == "error":
        assert result.returncode == 2
        (line,) = result.stderr.strip().splitlines()
        assert line.startswith("error: ") and all(w in line for w in case["says"])
        assert not projects.exists()
        return
    assert result.returncode == 0, printed
    if case["cli"] == "plan":
        plan = json.loads(result.stdout)
        no_secret(result.stdout)
        assert plan["shots"] and not projects.exists()  # planning writes no project
    else:
        check_run(projects, load_brief(brief).title)
    # Whatever the brief asked for, nothing was written beside it or outside the projects folder.
    assert {p.name for p in tmp_path.iterdir()} <= {name, "projects"}


def check_run(projects: Path, title: str) -> None:
    """A run without --yes stops at the approval gate: a project inside the projects folder,
    stills inside its stills folder, no clip rendered, no secret in any file it wrote."""
    (project,) = projects.iterdir()
    assert project.name == slugify(title)
    plan = json.loads((project / "plan.json").read_text())
    stills = (project / "stills").resolve()
    for still in plan["references"].values():
        assert (project / still).resolve().parent == stills, still
    assert not list((project / "takes").glob("*.mp4"))
    spent = [json.loads(line) for line in (project / "ledger.jsonl").read_text().splitlines()
             if line.strip()] if (project / "ledger.jsonl").exists() else []
    assert all(entry.get("kind") != "take" for entry in spent)
    for root, _, files in os.walk(project):
        for file in files:
            path = Path(root, file)
            assert path.resolve().is_relative_to(project.resolve())
            if path.suffix in (".json", ".jsonl", ".md", ".txt", ".yaml", ".html"):
                no_secret(path.read_text(encoding="utf-8", errors="replace"))
