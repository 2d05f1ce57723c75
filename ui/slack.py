"""The Slack door: `/director <command>`, one project per thread, buttons for approval and money.

Every listener acks at once (Slack allows 3 s) and hands the work to one background event loop;
progress and results are posted in the project's thread. Bolt verifies the v0 HMAC signature
and the 5-minute timestamp window of every HTTP request before any listener runs.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from director.config import Settings
from director.errors import DirectorError
from director.ui import slack_blocks as blocks
from director.ui.slack_director import SlackDirector, Where
from director.ui.slack_serve import Background, http_server, serve_socket_mode
from director.ui.slack_threads import SlackPolicy

# SlackDirector, Where, Background and http_server are re-exported: callers import them here.
__all__ = ["SLASH", "Background", "SlackDirector", "Where", "http_server", "make_slack_app",
           "run_slack"]

SLASH = "/director"


def make_slack_app(
    settings: Settings,
    *,
    client: WebClient | None = None,
    authorize: Callable[..., Any] | None = None,
    token: str | None = None,
    signing_secret: str | None = None,
    policy: SlackPolicy | None = None,
    projects_dir: Path | None = None,
    background: Background | None = None,
    session_kw: dict[str, Any] | None = None,
    socket_mode: bool = False,
) -> App:
    """The Bolt app. Secrets come from the arguments or SLACK_BOT_TOKEN / SLACK_SIGNING_SECRET;
    `client` (a WebClient with its own base_url) and `authorize` let tests run on loopback."""
    secret = signing_secret or os.environ.get("SLACK_SIGNING_SECRET", "")
    if not secret and not socket_mode:
        raise DirectorError("SLACK_SIGNING_SECRET is not set (Slack app → Basic Information)")
    if client is None and authorize is None:
        token = token or os.environ.get("SLACK_BOT_TOKEN", "")
        if not token:
            raise DirectorError("SLACK_BOT_TOKEN is not set (Slack app → OAuth & Permissions)")
    root = (projects_dir or settings.projects_dir).resolve()
    director = SlackDirector(settings, root, policy or SlackPolicy.from_env(),
                             background or Background(), session_kw)
    app = App(
        token=None if client is not None or authorize is not None else token,
        client=client,
        authorize=authorize,
        signing_secret=secret or None,
        # v0 HMAC over the raw body and a 5-minute window on every HTTP request; Socket Mode
        # requests arrive on the app-token socket and carry no signature.
        request_verification_enabled=not socket_mode or bool(secret),
        name="video-director",
    )
    app.command(SLASH)(director.on_command)
    for action_id in blocks.ACTIONS:
        app.action(action_id)(director.on_action)

    def on_event(event: dict[str, Any], client: WebClient, context: dict[str, Any]) -> None:
        director.on_message(event, client, str(context.get("bot_user_id") or ""))

    app.event("message")(on_event)
    app.event("app_mention")(on_event)
    return app


def run_slack(settings: Settings, *, host: str, port: int) -> None:
    """`director slack`: Socket Mode when SLACK_APP_TOKEN is set, else HTTP on host:port."""
    app_token = os.environ.get("SLACK_APP_TOKEN", "")
    app = make_slack_app(settings, socket_mode=bool(app_token))
    if app_token:
        serve_socket_mode(app, app_token)
    else:
        http_server(app, host=host, port=port).run()
