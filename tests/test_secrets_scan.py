"""No key leaves the process in anything a run leaves behind.

Recognisable fake keys go into every variable the product reads a secret from; whole projects
then run against the loopback Kling fake with the LLM brain and the vision judge on a fake
OpenAI-compatible endpoint: one run that succeeds (its judge first refused with the key echoed
back), one whose Kling key is refused so every shot fails, one whose LLM endpoint refuses the key
and echoes it, and one through the chat page. Every byte they leave is scanned for each key, its
base64 forms and the Kling JWTs the run signed: project files (plan, ledger, report, task logs,
the chat transcript, the SQLite checkpoint and its -wal, read while the run is still going),
log records at DEBUG, the command line's stdout and stderr, and the errors raised.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import director_in_process
from fakes.kling_server import KlingFake
from fakes.openai_chat import FakeChat, Reply, weak_reply

from director.config import Settings
from director.ledger import Ledger
from director.ui.chat_door import TRANSCRIPT, ChatDoor

KEYS = {
    "KLING_ACCESS_KEY": "AKleakcanary-kling-access-7f3a9c0e",
    "KLING_SECRET_KEY": "SKleakcanary-kling-secret-0123456789abcdef",
    "OPENAI_API_KEY": "sk-leakcanary-openai-5b8e1d2c9a4f7e30",
    "FAL_KEY": "falleakcanary:9d2e7c4b1a0f",
    "REPLICATE_API_TOKEN": "r8_leakcanary_replicate_3e5f7a9b",
    "PIAPI_API_KEY": "piapileakcanary0c4d8e2f6a",
    "SLACK_BOT_TOKEN": "xoxb-leakcanary-1234-5678-abcdef",
    "SLACK_APP_TOKEN": "xapp-1-leakcanary-9876-fedcba",
    "SLACK_SIGNING_SECRET": "slackleakcanarysigning0f1e2d3c",
}
ECHO = f"Incorrect API key provided: {KEYS['OPENAI_API_KEY']}"
"""What some gateways answer to a refused key: the key itself, echoed back."""
BRIEF = "A paper boat drifts down a flooded gutter after rain at dusk, 5 seconds.\n"


def b64_cores(secret: str) -> set[str]:
    """What `secret` looks like inside base64 (standard and URL-safe) at each of the three
    alignments it can start at, minus the edge characters its neighbours change."""
    forms = set()
    for pad in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(b"\0" * pad + secret.encode()).decode().rstrip("=")
            core = text[(pad * 4 + 2) // 3 + 1: -2]
            if len(core) >= 16:
                forms.add(core)
    return forms


def needles(jwts: set[str]) -> dict[str, str]:
    """Every string that must not appear, with a label for the failure message."""
    found: dict[str, str] = {}
    for name, key in KEYS.items():
        found[key] = name
        for form in b64_cores(key):
            found[form] = f"{name} (base64)"
    for token in jwts:
        found[token] = "a Kling JWT"
        found[token.rsplit(".", 1)[-1]] = "a Kling JWT signature"
    return found


def leaks_in(blob: bytes | str, where: str, jwts: set[str]) -> list[str]:
    data = blob if isinstance(blob, bytes) else blob.encode("utf-8", "replace")
    return [f"{label} in {where}" for needle, label in needles(jwts).items()
            if needle.encode() in data]


def project_leaks(root: Path, jwts: set[str]) -> list[str]:
    return [leak for path in sorted(root.rglob("*")) if path.is_file()
            for leak in leaks_in(path.read_bytes(), str(path.relative_to(root.parent)), jwts)]


class WalWatcher:
    """Copies every -wal/-journal file under `root` while a run is going (they are folded into
    the database and removed when the checkpointer closes)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.seen: dict[str, bytes] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.wait(0.02):
            for path in list(self.root.rglob("*-wal")) + list(self.root.rglob("*-journal")):
                try:
                    data = path.read_bytes()
                except OSError:
                    continue
                key = f"{path.name}@{len(self.seen)}"
                if data and data not in self.seen.values():
                    self.seen[key] = data

    def __enter__(self) -> WalWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def judge_reply(state: dict[str, int]) -> Any:
    """The fake endpoint as brain and judge; the judge's first call is refused with the key
    echoed in the error, as some gateways do."""

    def reply(kind: str, body: dict[str, Any]) -> Reply | dict[str, Any]:
        schema = (body.get("response_format") or {}).get("json_schema", {}).get("name", "")
        if schema in ("BlindCaption", "JudgeVerdict"):
            state["judge"] = state.get("judge", 0) + 1
            if state["judge"] == state.get("refuse_at", 1):
                return Reply(status=401, error=ECHO)
            if schema == "BlindCaption":
                return {e: "a paper boat in a gutter" for e in
                        ("subject", "action", "environment", "lighting", "atmosphere")}
            return {e: {"ok": True, "observed": "as asked", "reason": "matches"}
                    for e in ("subject", "action", "environment", "lighting", "atmosphere")}
        return weak_reply(kind, body)

    return reply


@pytest.fixture
def kling() -> Iterator[KlingFake]:
    fake = KlingFake(access_key=KEYS["KLING_ACCESS_KEY"], secret_key=KEYS["KLING_SECRET_KEY"],
                     polls_to_finish=2)
    fake.start()
    yield fake
    fake.stop()


def env_for(kling: KlingFake, url: str, fake: FakeChat, **extra: str) -> dict[str, str]:
    return {**KEYS, "KLING_API_BASE": kling.url, "OPENAI_BASE_URL": url,
            "DIRECTOR_LLM_MODEL": fake.model, "DIRECTOR_VISION_MODEL": fake.model,
            "DIRECTOR_LLM_BACKOFF_S": "0", "DIRECTOR_POLL_S": "0.05", **extra}


def jwts_of(kling: KlingFake) -> set[str]:
    return {r.headers.get("authorization", "").removeprefix("Bearer ").strip()
            for r in kling.requests if r.headers.get("authorization")} - {""}


def test_b64_cores_find_a_key_inside_a_jwt() -> None:
    import jwt

    token = jwt.encode({"iss": KEYS["KLING_ACCESS_KEY"]}, "k" * 32, algorithm="HS256")
    assert leaks_in(token, "a token", set())  # the scan sees the access key in base64
    other = jwt.encode({"iss": "someone-else"}, "k" * 32, algorithm="HS256")
    assert not leaks_in(other, "another token", set())


def test_no_key_in_anything_a_run_leaves(
    kling: KlingFake, tmp_path: Path, caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    brief = tmp_path / "boat.md"
    brief.write_text(BRIEF)
    outputs: list[tuple[str, str]] = []
    walls: list[WalWatcher] = []

    def run(name: str, fake: FakeChat, **extra: str) -> Any:
        out = tmp_path / name
        out.mkdir()
        with fake.serve() as url, WalWatcher(out) as wal:
            result = director_in_process("run", str(brief), "--provider", "kling", "--brain",
                                         "llm", "--yes", "--out", str(out),
                                         env=env_for(kling, url, fake, **extra))
        walls.append(wal)
        outputs.append((f"{name} stdout", result.stdout))
        outputs.append((f"{name} stderr", result.stderr))
        return result

    # 1. A run that succeeds; the judge captions, then its verdict call is refused, echoing the key.
    judged: dict[str, int] = {"refuse_at": 2}  # the verdict, after a caption
    ok = run("ok", FakeChat(key=KEYS["OPENAI_API_KEY"], auto=judge_reply(judged)))
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "ok" / "final.mp4").stat().st_size > 0
    assert judged["judge"] == 2 and kling.creates()
    assert any(e.kind == "submit" for e in Ledger(tmp_path / "ok" / "ledger.jsonl").entries())

    # 2. Kling refuses the key (a secret that does not match the account): every shot fails.
    refused = run("refused", FakeChat(key=KEYS["OPENAI_API_KEY"], auto=judge_reply({})),
                  KLING_SECRET_KEY=KEYS["KLING_SECRET_KEY"][::-1])
    assert refused.returncode == 1, refused.stderr
    assert "failed" in refused.stderr and "401" in refused.stderr + refused.stdout

    # 3. The LLM endpoint refuses the key and echoes it in its error: the run stops.
    echo = Reply(status=401, error=ECHO)
    stopped = run("stopped", FakeChat(key=KEYS["OPENAI_API_KEY"], script={"plan": [echo] * 4}))
    assert stopped.returncode != 0 and "error" in stopped.stderr.lower()

    # 4. The chat page: a brief, approved and rendered, with its transcript on disk.
    for name, value in env_for(kling, "", FakeChat()).items():
        monkeypatch.setenv(name, value)
    chat = FakeChat(key=KEYS["OPENAI_API_KEY"], auto=judge_reply({"refuse_at": 0}))
    rooms = tmp_path / "chat"
    rooms.mkdir()
    with chat.serve() as url, WalWatcher(rooms) as wal:
        monkeypatch.setenv("OPENAI_BASE_URL", url)
        door = ChatDoor(Settings(provider="kling", poll_interval_s=0.05), rooms)

        async def talk() -> None:
            async for _ in door.send(BRIEF, None):
                pass
            name = door.projects()[0]
            for step in (door.approve, door.confirm):
                async for _ in step(name):
                    pass

        asyncio.run(talk())
    walls.append(wal)
    [room] = list(rooms.iterdir())
    assert (room / TRANSCRIPT).stat().st_size > 0
    assert any(e.kind == "submit" for e in Ledger(room / "ledger.jsonl").entries())

    jwts = jwts_of(kling)
    assert len(jwts) >= 2  # the fake saw signed tokens: the scan looks for them too
    leaks: list[str] = []
    for root in (tmp_path / "ok", tmp_path / "refused", tmp_path / "stopped", room):
        leaks += project_leaks(root, jwts)
    for wal in walls:
        assert wal.seen or wal.root == tmp_path / "stopped", f"no -wal seen under {wal.root}"
        for name, data in wal.seen.items():
            leaks += leaks_in(data, f"{wal.root.name}/{name}", jwts)
    for where, text in outputs:
        leaks += leaks_in(text, where, jwts)
    leaks += leaks_in(caplog.text, "log text", jwts)
    for record in caplog.records:
        leaks += leaks_in(repr(record.__dict__), f"log record {record.name}", jwts)
    captured = capfd.readouterr()
    leaks += leaks_in(captured.out + captured.err, "captured stdout/stderr", jwts)
    assert leaks == []
