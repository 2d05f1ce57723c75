"""`director providers`: backends, key state without key values, and `check` errors."""

from __future__ import annotations

import os
import subprocess

from conftest import CliResult, director_cmd, director_in_process


def _director(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "COLUMNS": "200", **env}
    return subprocess.run(
        [*director_cmd(), *args], capture_output=True, text=True, env=full, timeout=60
    )


def _director_here(*args: str, **env: str) -> CliResult:
    # In process: the two tests above run the real `director providers` in its own process.
    return director_in_process(*args, env={"COLUMNS": "200", **env})


def test_list_says_which_keys_are_set_without_printing_them() -> None:
    secret = "fal-secret-value-123"
    result = _director("providers", FAL_KEY=secret)
    assert result.returncode == 0, result.stderr
    rows = {line.split("│")[1].strip(): line for line in result.stdout.splitlines() if "│" in line}
    assert {"animatic", "kling", "fal", "replicate", "piapi", "openai", "sim"} <= set(rows)
    assert "set" in rows["fal"] and "missing" not in rows["fal"]
    assert "missing KLING_ACCESS_KEY, KLING_SECRET_KEY" in rows["kling"]
    assert "not needed" in rows["animatic"]
    assert secret not in result.stdout + result.stderr


def test_check_without_a_key_or_for_an_unknown_backend_is_one_clear_line() -> None:
    missing = _director("providers", "check", "replicate")
    assert missing.returncode == 1
    assert missing.stderr.strip() == "error: replicate: missing REPLICATE_API_TOKEN"
    unknown = _director("providers", "check", "runway")
    assert unknown.returncode == 1 and "unknown backend 'runway'" in unknown.stderr
    assert "Traceback" not in missing.stderr + unknown.stderr


def test_check_makes_one_authenticated_call_to_kling_and_piapi() -> None:
    from fakes.kling_server import KlingFake
    from fakes.piapi_server import PiAPIFake

    kling, piapi = KlingFake(), PiAPIFake()
    kling.start()
    piapi.start()
    try:
        good = _director_here(
            "providers",
            "check",
            "kling",
            KLING_API_BASE=kling.url,
            KLING_ACCESS_KEY=kling.access_key,
            KLING_SECRET_KEY=kling.secret_key,
        )
        assert good.returncode == 0, good.stderr
        assert "kling: ok" in good.stdout and kling.secret_key not in good.stdout
        bad = _director_here(
            "providers",
            "check",
            "kling",
            KLING_API_BASE=kling.url,
            KLING_ACCESS_KEY=kling.access_key,
            KLING_SECRET_KEY="not-the-secret",
        )
        assert bad.returncode != 0 and "Traceback" not in bad.stderr
        assert "not-the-secret" not in bad.stderr
        ok = _director_here(
            "providers", "check", "piapi", PIAPI_API_BASE=piapi.url, PIAPI_API_KEY=piapi.api_key
        )
        assert ok.returncode == 0 and "piapi: ok" in ok.stdout, ok.stderr
        refused = _director_here(
            "providers", "check", "piapi", PIAPI_API_BASE=piapi.url, PIAPI_API_KEY="wrong-key-999"
        )
        assert refused.returncode != 0 and "refused the key" in refused.stderr
        assert "wrong-key-999" not in refused.stderr
        # Checks render nothing: no task was created on either service.
        assert not kling.creates() and not piapi.tasks
    finally:
        kling.stop()
        piapi.stop()
