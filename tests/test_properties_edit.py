"""Property-based tests of the plan editor and of the `director` command on generated briefs.

An edit either changes exactly the one field of the one shot it names (and the prompt is
re-written from it) or is refused with a one-line CommandError; the plan is never half-changed.
The command line answers any brief file with a plan or one error line and exit code 2, never a
traceback. Derandomized, no example database (see test_properties.py).
"""

from __future__ import annotations

import json
import string
from functools import cache
from pathlib import Path

import pytest
import yaml
from conftest import director_in_process
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_properties import FORBIDDEN, SNIPPETS, clean_strings, hostile_text, one_clean_line

from director.agent.brains.rules import RulesBrain
from director.briefs import parse_text_brief
from director.commands import EDIT_FIELDS, EditShot
from director.controls import strip_controls
from director.plan import Plan, PlannedShot, ShotList
from director.prompts import compose, lint
from director.tools import catalog
from director.ui.commands import CommandError, parse
from director.ui.plan_edit import edit_plan
from director.ui.values import ANGLES, MOVES, SIDES, SIZES

EDITS = settings(max_examples=120, deadline=None, derandomize=True, database=None,
                 suppress_health_check=[HealthCheck.too_slow])
CLI = settings(EDITS, max_examples=10)
MODEL = "kling-v2-6-pro"


@cache
def planned() -> tuple[Plan, ShotList]:
    """A three-shot plan on a model that renders 5 and 10 s clips, as the write step makes it."""
    brief = parse_text_brief(
        "A 15 s film. Ana, 30s, black hair in a bun, red wool coat, walks to the window and "
        "opens it. She smiles at the street below. Golden hour light from the left.")
    brain = RulesBrain()
    spec = catalog.get(MODEL)
    shot_list = brain.plan(brief, spec.durations)
    shots = []
    for shot in shot_list.shots:
        written, remaining = lint.fix(brain.write(shot, shot_list.bible), shot, shot_list.bible,
                                      spec.family)
        shots.append(PlannedShot(
            index=shot.index, duration_s=shot.duration_s, characters=shot.characters,
            model=MODEL, provider="kling", prompt=compose.render(written, spec.family),
            shot=shot, spec=written, lint=[f.message for f in remaining]))
    bible = shot_list.bible
    plan = Plan(title=brief.title, brief=brief, characters=bible.characters,
                locations=bible.locations, look=bible.look, shots=shots)
    return plan, shot_list


def apply(cmd: EditShot) -> tuple[Plan, ShotList | None, PlannedShot] | None:
    """The edit's result, or None after checking its refusal is one clean line."""
    plan, shot_list = planned()
    try:
        result = edit_plan(plan, shot_list, RulesBrain(), cmd)
    except CommandError as exc:
        one_clean_line(exc)
        return None
    new_plan, new_list, new_shot = result
    index = cmd.shot - 1
    # Only the named shot changed, in the plan and in the shot list alike.
    assert [s for s in new_plan.shots if s.index != index] == [
        s for s in plan.shots if s.index != index]
    assert new_plan.shots[index] == new_shot and new_list is not None
    assert new_list.shots[index] == new_shot.shot
    assert new_plan.model_dump(exclude={"shots"}) == plan.model_dump(exclude={"shots"})
    assert not FORBIDDEN.search(new_shot.prompt) and new_shot.prompt.strip()
    return result


field_values = st.one_of(
    hostile_text,
    st.sampled_from([*MOVES, *SIZES, *ANGLES, *SIDES, "push in", "slow dolly in", "+1500", "-800",
                     "3200", "3200k", "85mm", "0", "-99999", "99999", "1e5", "nan", "10", "5 s",
                     "7", "", " ", "\x1b[31m", "\u202e", "[/]"]),
)


@EDITS
@given(st.integers(min_value=1, max_value=5), st.sampled_from(EDIT_FIELDS), field_values)
def test_any_edit_changes_one_field_of_one_shot_or_is_refused(shot: int, field: str,
                                                              value: str) -> None:
    try:
        cmd = EditShot(shot=shot, field=field, value=value)  # what a brain may propose
    except ValueError:
        return  # the command model itself refuses it (empty or over 4000 characters)
    result = apply(cmd)
    if result is None:
        return
    _, _, new = result
    old = planned()[0].shots[shot - 1]
    if field in ("subject", "action", "atmosphere"):
        assert getattr(new.shot, field) == " ".join(strip_controls(value, " ").split())
    if field == "prompt":
        assert new.prompt and new.shot == old.shot
    elif field != "duration":
        assert new.shot.duration_s == old.shot.duration_s


@EDITS
@given(st.integers(min_value=1, max_value=3),
       st.one_of(st.tuples(st.just("move"), st.sampled_from(MOVES)),
                 st.tuples(st.just("size"), st.sampled_from(SIZES)),
                 st.tuples(st.just("angle"), st.sampled_from(ANGLES)),
                 st.tuples(st.just("light_side"), st.sampled_from(SIDES)),
                 st.tuples(st.just("kelvin"), st.integers(1000, 12000).map(str)),
                 st.tuples(st.just("lens"), st.integers(8, 600).map(str)),
                 st.tuples(st.just("duration"), st.sampled_from(["5", "10"])),
                 st.tuples(st.sampled_from(["subject", "action", "atmosphere", "start", "end",
                                            "height", "light"]),
                           st.text(alphabet=string.ascii_letters + " ,", min_size=1,
                                   max_size=40).map(str.strip).filter(bool))))
def test_a_typed_edit_lands_in_the_shot(shot: int, edit: tuple[str, str]) -> None:
    field, value = edit
    cmd = parse(f"/edit shot {shot} {field} {value}")
    assert isinstance(cmd, EditShot)
    result = apply(cmd)
    assert result is not None
    new = result[2].shot
    landed = {
        "move": new.camera.move, "size": new.camera.size, "angle": new.camera.angle,
        "light_side": new.lighting.side, "kelvin": str(new.lighting.colour_temperature_k),
        "lens": str(new.camera.focal_length_mm), "duration": f"{new.duration_s:g}",
        "subject": new.subject, "action": new.action, "atmosphere": new.atmosphere,
        "start": new.start_position, "end": new.end_position, "height": new.camera.height,
        "light": new.lighting.source,
    }
    assert landed[field] == value


@EDITS
@given(st.integers(min_value=4, max_value=500), st.sampled_from(EDIT_FIELDS))
def test_an_edit_of_a_shot_the_plan_lacks_names_the_count(shot: int, field: str) -> None:
    with pytest.raises(CommandError, match=f"there is no shot {shot}; the plan has 3"):
        edit_plan(*planned(), RulesBrain(), EditShot(shot=shot, field=field, value="x"))


# ---- the command line on generated hostile files ----------------------------------------------

brief_files = st.one_of(
    st.tuples(st.just(".md"), hostile_text.map(lambda t: t.encode("utf-8", "surrogatepass"))),
    st.tuples(st.just(".txt"), st.binary(max_size=200)),
    st.tuples(st.just(".yaml"), st.dictionaries(
        st.sampled_from(["text", "title", "duration", "budget", "shots", "characters"]),
        st.one_of(hostile_text, st.integers(-(10**6), 10**12), st.lists(hostile_text, max_size=3),
                  st.just([{"name": "../../etc/passwd"}, {"name": "CON\x00"}])),
        max_size=4).map(lambda d: yaml.safe_dump(d, allow_unicode=True).encode())),
    st.tuples(st.just(".json"), st.sampled_from(SNIPPETS).map(
        lambda s: json.dumps({"text": "A cat on a wall. " + s}).encode())),
)


@CLI
@given(brief_files)
def test_director_plan_answers_any_file_with_a_plan_or_one_line(
        tmp_path_factory: pytest.TempPathFactory, brief: tuple[str, bytes]) -> None:
    suffix, content = brief
    folder = tmp_path_factory.mktemp("cli")
    path = folder / f"brief{suffix}"
    path.write_bytes(content)
    result = director_in_process("plan", str(path), "--json")
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    if result.returncode:
        assert result.returncode == 2
        (line,) = result.stderr.strip().splitlines()
        assert line.startswith(f"error: {path}") and not FORBIDDEN.search(line)
    else:
        plan = json.loads(result.stdout)
        assert plan["shots"] and clean_strings(plan)  # no escape or override reached the plan
    assert sorted(p.name for p in folder.iterdir()) == [path.name]  # nothing written beside it


def test_names_never_escape_the_stills_folder(tmp_path: Path) -> None:
    brief = tmp_path / "names.yaml"
    brief.write_text(yaml.safe_dump({
        "text": "A 10 s film: two travellers meet at a gate.",
        "characters": [{"name": "../../etc/passwd"}, {"name": "/abs/olute"}, {"name": "CON"},
                       {"name": "nul\u0000byte"}, {"name": "\x1b[31mred\u202e"}],
    }))
    out = tmp_path / "project"
    result = director_in_process("run", str(brief), "--out", str(out))
    assert result.returncode == 0, result.stderr
    plan = json.loads((out / "plan.json").read_text())
    stills = (out / "stills").resolve()
    for name, still in plan["references"].items():
        assert not FORBIDDEN.search(name)
        assert (out / still).resolve().parent == stills, still
    outside = [p for p in tmp_path.iterdir() if p.name not in ("names.yaml", "project")]
    assert outside == []
