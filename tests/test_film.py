"""The shared vocabulary across director.film, director.takes and director.inspection: one import
path for every name, field docstrings as the JSON-schema descriptions an LLM reads, and records
written under the old director.film path still loading."""

from __future__ import annotations

import pickle
import subprocess
import sys

import pytest
from pydantic import BaseModel

from director import film, inspection, takes

MODULES = (film, takes, inspection)


def _models() -> list[type[BaseModel]]:
    return [
        value
        for module in MODULES
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, film.FilmModel)
        and value.__module__ == module.__name__
    ]


def test_every_name_imports_from_film_as_the_same_object() -> None:
    for name in film.__all__:
        value = getattr(film, name)
        home = film.REEXPORTS.get(name, "director.film")
        assert value is getattr(sys.modules[home], name), name
    defined = {
        name
        for module in MODULES
        for name, value in vars(module).items()
        if isinstance(value, type) and value.__module__ == module.__name__
    }
    assert defined <= set(film.__all__)
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        film.Nope  # noqa: B018


@pytest.mark.parametrize("first", ["director.takes", "director.inspection", "director.film"])
def test_any_module_may_be_imported_first(first: str) -> None:
    code = f"import {first}\nfrom director.film import *\nprint(Take.__module__, QCReport.__name__)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["director.takes", "QCReport"]


def test_every_field_of_every_model_keeps_its_docstring_as_its_description() -> None:
    models = _models()
    assert {m.__module__ for m in models} == {m.__name__ for m in MODULES}
    for model in models:
        assert model.model_config.get("use_attribute_docstrings") is True, model
        properties = model.model_json_schema()["properties"]
        for name in model.model_fields:
            assert properties[name].get("description"), f"{model.__name__}.{name}"


def test_moved_models_describe_their_fields_word_for_word() -> None:
    assert takes.Take.model_json_schema()["properties"]["policy"]["description"] == (
        "The service refused the content: the same prompt will be refused again, so only a\n"
        "rewrite of what the shot shows can help."
    )
    schema = inspection.QCReport.model_json_schema()
    assert schema["properties"]["camera"]["description"] == (
        "The camera move measured from pixels; None when not measured."
    )
    assert schema["$defs"]["Finding"]["properties"]["variable"]["description"] == (
        "The one variable a retake should change to fix it."
    )


def _take() -> takes.Take:
    request = takes.GenerationRequest(shot_index=0, model="animatic", provider="animatic",
                                      prompt="a paper boat", duration_s=2.0, width=320,
                                      height=180)
    report = inspection.QCReport(decodable=True, findings=[
        inspection.Finding(check="camera", message="read static, asked pan_right",
                           variable="camera")])
    return takes.Take(shot_index=0, attempt=1, request=request, qc=report)


def test_a_take_pickled_under_the_old_film_path_still_loads() -> None:
    take = _take()
    data = pickle.dumps(take, protocol=0)  # text protocol: module paths stand as plain lines
    assert b"director.takes\n" in data and b"director.inspection\n" in data
    old = data.replace(b"director.takes\n", b"director.film\n").replace(
        b"director.inspection\n", b"director.film\n")
    assert b"director.takes" not in old and b"director.inspection" not in old
    assert pickle.loads(old) == take
