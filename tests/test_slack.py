"""The Slack door over real HTTP on loopback: signed requests in, a mock Slack Web API out.

Renders run on the local animatic behind a priced route (the router picks Kling models, the
adapter is the animatic), so the money questions are real and nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from fakes.priced import priced_animatic
from fakes.slack_api import MockSlack
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from director.config import Settings
from director.errors import DirectorError
from director.ledger import Ledger
from director.ui.slack import Background, http_server, make_slack_app
from director.ui.slack_threads import THREADS_FILE, SlackPolicy

SECRET = "test-signing-secret"
BRIEF = "a 10 second ad: a baker at dawn pulls bread from the oven, warm tungsten light, 16:9"
ALLOWED = "U_ALLOWED"


def _authorize(enterprise_id: str | None, team_id: str | None, logger: object) -> AuthorizeResult:
    return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token="xoxb-test",
                           bot_user_id="UBOT", bot_id="B1")


class Door:
    """The app served on a loopback port, its mock Slack and its background jobs."""

    def __init__(self, url: str, mock: MockSlack, background: Background, projects: Path):
        self.url = url
        self.mock = mock
        self.background = background
        self.projects = projects

    def post(self, body: str, *, ts: int | None = None, secret: str = SECRET) -> httpx.Response:
        stamp = str(ts if ts is not None else int(time.time()))
        signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
        headers = {
            "content-type": "application/x-www-form-urlencoded",
            "x-slack-request-timestamp": stamp,
            "x-slack-signature": signature,
        }
        return httpx.post(self.url, content=body, headers=headers, timeout=10)

    def command(self, text: str, user: str = ALLOWED, channel: str = "C1") -> httpx.Response:
        return self.post(urlencode({
            "command": "/director", "text": text, "team_id": "T1", "user_id": user,
            "channel_id": channel, "response_url": f"{self.mock.url}/hook", "trigger_id": "1",
        }))

    def click(self, button: dict, message: dict, user: str = ALLOWED) -> httpx.Response:
        payload = {
            "type": "block_actions", "team": {"id": "T1"}, "user": {"id": user, "team_id": "T1"},
            "channel": {"id": "C1"}, "message": message, "trigger_id": "2",
            "response_url": f"{self.mock.url}/hook",
            "actions": [{"type": "button", "action_id": button["action_id"],
                         "value": button["value"], "block_id": "b", "action_ts": "1"}],
        }
        return self.post(urlencode({"payload": json.dumps(payload)}))

    def buttons(self) -> list[tuple[dict, dict]]:
        """(button, message) for every button the app posted, oldest first."""
        out = []
        for call in self.mock.named("chat.postMessage"):
            raw = call.fields.get("blocks") or []
            for block in json.loads(raw) if isinstance(raw, str) else raw:
                for element in block.get("elements", []) if block["type"] == "actions" else []:
                    message = {"ts": "9.0", "thread_ts": call.fields.get("thread_ts")}
                    out.append((element, message))
        return out

    def button(self, action_id: str) -> tuple[dict, dict]:
        found = [b for b in self.buttons() if b[0]["action_id"] == action_id]
        assert found, f"no {action_id} button in {[b[0]['action_id'] for b in self.buttons()]}"
        return found[-1]


def _free_socket() -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture
def door(tmp_path: Path) -> Iterator[Door]:
    projects = tmp_path / "projects"
    background = Background()
    with MockSlack() as mock:
        app = make_slack_app(
            Settings(provider="kling", projects_dir=projects),
            client=WebClient(base_url=mock.api_url),
            authorize=_authorize,
            signing_secret=SECRET,
            policy=SlackPolicy(allowed=frozenset({ALLOWED}), budgets={}),
            background=background,
            session_kw={"providers": priced_animatic(tmp_path / "tasks")},
        )
        sock = _free_socket()
        server = http_server(app)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        port = sock.getsockname()[1]
        try:
            yield Door(f"http://127.0.0.1:{port}/slack/events", mock, background, projects)
        finally:
            background.wait_idle(60)
            server.should_exit = True
            thread.join(10)


def test_bad_signature_gets_401_and_runs_nothing(door: Door) -> None:
    body = urlencode({"command": "/director", "text": f"new {BRIEF}", "team_id": "T1",
                      "user_id": ALLOWED, "channel_id": "C1", "trigger_id": "1"})
    response = door.post(body, secret="not-the-secret")
    assert response.status_code == 401
    tampered = door.post(body.replace("baker", "bakers"), secret=SECRET)
    assert tampered.status_code == 200  # a fresh signature over the new body is fine...
    door.background.wait_idle(30)
    stamp = str(int(time.time()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body)
    forged = httpx.post(door.url, content=body.replace("baker", "thief"), timeout=10, headers={
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": stamp, "x-slack-signature": signature})
    assert forged.status_code == 401  # ...but a signature never covers a changed body
    texts = " ".join(door.mock.texts())
    assert "bakers" in texts and "thief" not in texts


def test_stale_timestamp_gets_401(door: Door) -> None:
    body = urlencode({"command": "/director", "text": "help", "team_id": "T1",
                      "user_id": ALLOWED, "channel_id": "C1", "trigger_id": "1"})
    assert door.post(body, ts=int(time.time()) - 301).status_code == 401
    assert door.post(body).status_code == 200
    assert door.mock.calls == []  # help is answered in the ack itself


def _plan(door: Door) -> Path:
    response = door.command(f"new {BRIEF}")
    assert response.status_code == 200 and "Planning" in response.text
    door.background.wait_idle(60)
    mapping = json.loads((door.projects / THREADS_FILE).read_text())
    (name,) = mapping["threads"].values()
    return door.projects / name


def test_user_not_on_allow_list_is_refused_politely_and_nothing_is_spent(door: Door) -> None:
    project = _plan(door)
    response = door.command("approve", user="U_STRANGER")
    assert response.status_code == 200
    assert "Sorry <@U_STRANGER>" in response.text and "Nothing was spent" in response.text
    approve, message = door.button("director_approve")
    assert door.click(approve, message, user="U_STRANGER").status_code == 200
    door.background.wait_idle(30)
    (ephemeral,) = door.mock.named("chat.postEphemeral")
    assert ephemeral.fields["user"] == "U_STRANGER" and "Sorry" in ephemeral.fields["text"]
    assert Ledger(project / "ledger.jsonl").spent_usd() == 0
    assert not list((project / "takes").glob("*.mp4"))
    assert not (project / "final.mp4").exists()


def test_new_approve_confirm_render_and_upload_the_cut(door: Door) -> None:
    project = _plan(door)
    parent = door.mock.named("chat.postMessage")[0]
    assert parent.fields["channel"] == "C1" and "thread_ts" not in parent.fields
    thread = door.mock.named("chat.postMessage")[-1].fields["thread_ts"]
    storyboard = door.mock.named("files.getUploadURLExternal")[0]
    assert storyboard.fields["filename"] == "storyboard.png"

    approve, message = door.button("director_approve")
    assert "$0.42" in approve["text"]["text"]
    assert door.click(approve, message).status_code == 200
    door.background.wait_idle(60)
    confirm, message = door.button("director_confirm")  # money: asked before anything is paid
    assert Ledger(project / "ledger.jsonl").spent_usd() == 0
    assert door.click(confirm, message).status_code == 200
    door.background.wait_idle(120)

    assert (project / "final.mp4").is_file()
    spent = Ledger(project / "ledger.jsonl").spent_usd()
    assert spent >= 0.42  # one take of each shot, plus any retakes QC asked for
    assert f"spent ${spent:.2f}" in " ".join(door.mock.texts())
    urls = [c for c in door.mock.named("files.getUploadURLExternal")
            if c.fields["filename"] == "final.mp4"]
    assert len(urls) == 1
    uploads = [c for c in door.mock.calls if c.path.startswith("/upload/")]
    assert uploads[-1].body == (project / "final.mp4").read_bytes()
    done = door.mock.named("files.completeUploadExternal")[-1]
    assert done.fields["thread_ts"] == thread and done.fields["channel_id"] == "C1"
    (completed,) = json.loads(done.fields["files"])
    assert uploads[-1].path == f"/upload/{completed['id']}"
    order = [c.method for c in door.mock.calls]
    last = len(order) - 1 - order[::-1].index("files.getUploadURLExternal")
    assert order[last:last + 3] == [
        "files.getUploadURLExternal", uploads[-1].path, "files.completeUploadExternal"]
    updates = [c.fields["text"] for c in door.mock.named("chat.update")]
    assert any(t.startswith("✅ Confirmed by <@U_ALLOWED>") for t in updates)
    assert any("accepted" in t for t in door.mock.texts())


def test_policy_from_env_reads_ids_and_channel_caps() -> None:
    policy = SlackPolicy.from_env({"DIRECTOR_SLACK_ALLOWED": "T123, C456,U789",
                                   "DIRECTOR_SLACK_BUDGETS": "C456=20,C789=$5.5"})
    assert policy.may_spend("T999", "C456", "U1") and policy.may_spend("T123", "C1", "U1")
    assert not policy.may_spend("T1", "C1", "U1")
    assert policy.cap("C789") == 5.5 and policy.cap("C1") is None
    assert not SlackPolicy.from_env({}).may_spend("T1", "C1", "U1")
    with pytest.raises(DirectorError, match="DIRECTOR_SLACK_BUDGETS"):
        SlackPolicy.from_env({"DIRECTOR_SLACK_BUDGETS": "C1=lots"})
    with pytest.raises(DirectorError, match="DIRECTOR_SLACK_ALLOWED"):
        SlackPolicy.from_env({"DIRECTOR_SLACK_ALLOWED": "alice"})
