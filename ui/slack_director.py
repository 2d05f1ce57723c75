"""The Slack listeners and jobs: slash commands, button clicks and thread replies become Session
calls, and Session replies become thread messages (the Bolt app is wired in slack.py).

Every listener acks at once (Slack allows 3 s) and hands the work to one background event loop;
progress and results are posted in the project's thread.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slack_sdk import WebClient

from director.commands import Budget, New
from director.config import Settings
from director.errors import DirectorError
from director.ui import slack_blocks as blocks
from director.ui.commands import CommandError, is_command, parse, usage
from director.ui.session import YES_WORDS, Fanout, Reply, Session
from director.ui.slack_serve import Background
from director.ui.slack_threads import SlackPolicy, ThreadMap

log = logging.getLogger("director.slack")

_PAID = frozenset({"approve", "render", "revise"})
_MENTION = re.compile(r"<@[A-Z0-9]+>\s*")
_PROGRESS_EVERY_S = 1.5


@dataclass(frozen=True)
class Where:
    """A project's thread."""

    channel: str
    thread_ts: str
    project: Path


class SlackDirector:
    """Turns Slack requests into Session calls and Session replies into thread messages."""

    def __init__(
        self,
        settings: Settings,
        projects_dir: Path,
        policy: SlackPolicy,
        background: Background,
        session_kw: dict[str, Any] | None = None,
    ) -> None:
        self.settings = settings
        self.projects_dir = projects_dir
        self.policy = policy
        self.background = background
        self.threads = ThreadMap(projects_dir)
        self.session_kw = session_kw or {}
        self._sessions: dict[Path, tuple[Session, Fanout]] = {}  # touched on the loop only

    # --- listeners (Bolt worker threads; must return fast) -----------------------------------

    def on_command(self, ack: Callable[..., None], command: dict[str, Any], client: WebClient):
        text = str(command.get("text") or "").strip()
        team, channel, user = (str(command.get(k) or "") for k in
                               ("team_id", "channel_id", "user_id"))
        try:
            cmd = parse(text) if text else None
        except CommandError as exc:
            if is_command(text):
                ack(str(exc))
                return
            cmd = None  # free words: the project's director answers them
        if cmd is None and not text:
            ack(usage())
            return
        if cmd is not None and cmd.name == "help":
            ack(usage(getattr(cmd, "topic", None)))
            return
        if cmd is not None and cmd.name == "new":
            # Queued before the ack, so anything that sees the ack also sees the job.
            self.background.submit(self._new(client, channel, user, cmd.text))
            ack("🎬 Planning your brief; follow along in the thread.")
            return
        latest = self.threads.latest(channel)
        if latest is None:
            ack("No project in this channel yet; start one with `/director new <brief>`.")
            return
        if cmd is not None and cmd.name in _PAID and not self.policy.may_spend(team, channel,
                                                                              user):
            ack(self._refusal(user))
            return
        where = Where(channel, latest[0], latest[1])
        self.background.submit(self._run(client, where, text, team=team, user=user))
        ack(f"🎬 On it, in the thread of *{where.project.name}*.")

    def on_action(self, ack: Callable[..., None], body: dict[str, Any], client: WebClient):
        try:
            self._action(body, client)
        finally:
            ack()

    def _action(self, body: dict[str, Any], client: WebClient) -> None:
        action = (body.get("actions") or [{}])[0]
        action_id = str(action.get("action_id", ""))
        channel = str((body.get("channel") or {}).get("id", ""))
        user = str((body.get("user") or {}).get("id", ""))
        team = str((body.get("team") or {}).get("id", "") or
                   (body.get("user") or {}).get("team_id", ""))
        message = body.get("message") or {}
        thread_ts = str(message.get("thread_ts") or message.get("ts") or "")
        try:
            name, lines = blocks.read_value(str(action.get("value", "")))
        except ValueError:
            return
        root = self.threads.project(channel, thread_ts)
        if root is None or root.name != name:
            return
        where = Where(channel, thread_ts, root)
        if action_id in (blocks.APPROVE, blocks.CONFIRM) and not self.policy.may_spend(
            team, channel, user
        ):
            self.background.submit(self._say(client, where, self._refusal(user), user=user))
            return
        self.background.submit(
            self._click(client, where, action_id, lines, str(message.get("ts", "")), team, user)
        )

    def on_message(self, event: dict[str, Any], client: WebClient, bot_user: str) -> None:
        if event.get("bot_id") or event.get("subtype") or not event.get("thread_ts"):
            return
        text = str(event.get("text") or "")
        if bot_user and f"<@{bot_user}>" in text and event.get("type") == "message":
            return  # the app_mention event carries this one
        channel = str(event.get("channel", ""))
        thread_ts = str(event["thread_ts"])
        root = self.threads.project(channel, thread_ts)
        if root is None:
            return
        text = _MENTION.sub("", text).strip()
        if not text:
            return
        self.background.submit(
            self._run(client, Where(channel, thread_ts, root), text,
                      team=str(event.get("team", "")), user=str(event.get("user", "")))
        )

    # --- jobs (background loop) -----------------------------------------------------------------

    async def _new(self, client: WebClient, channel: str, user: str, brief: str) -> None:
        first = brief.strip().splitlines()[0][:300]
        parent = await asyncio.to_thread(
            client.chat_postMessage, channel=channel,
            text=f"🎬 *New film* from <@{user}>\n> {first}",
        )
        ts = str(parent["ts"])
        fanout = Fanout()
        session = Session(self._settings(channel), projects_dir=self.projects_dir,
                          on_event=fanout, **self.session_kw)
        where = Where(channel, ts, self.projects_dir)
        reply = await self._with_progress(client, where, fanout, session.execute(New(text=brief)))
        if session.project is None or not reply.ok:
            await self._post(client, where, reply.text or "Planning failed.")
            return
        where = Where(channel, ts, session.project.root)
        self._sessions[where.project] = (session, fanout)
        self.threads.bind(channel, ts, where.project)
        reply = await self._clamp_to_channel(session, where) or reply
        storyboard = reply.view.storyboard if reply.view else ""
        if storyboard and (where.project / storyboard).is_file():
            await self._upload(client, where, where.project / storyboard, "Storyboard")
        await self._post_reply(client, where, reply)

    async def _run(self, client: WebClient, where: Where, text: str, *, team: str, user: str,
                   confirmed: bool = False) -> None:
        session, fanout = self._session(where)
        session.settings = self._settings(where.channel)
        low = text.lower().rstrip(".!")
        paid = _is_paid(text) or (low in YES_WORDS and any(c.name in _PAID
                                                           for c in session.pending))
        if paid and not self.policy.may_spend(team, where.channel, user):
            await self._post(client, where, self._refusal(user))
            return
        if paid and (refusal := await self._over_channel_cap(session, where)):
            await self._post(client, where, refusal)
            return
        final = where.project / "final.mp4"
        before = final.stat().st_mtime_ns if final.exists() else None
        reply = await self._with_progress(
            client, where, fanout, session.handle(text, confirmed=confirmed)
        )
        await self._post_reply(client, where, reply)
        after = final.stat().st_mtime_ns if final.exists() else None
        if after is not None and after != before:
            title = reply.view.title if reply.view else where.project.name
            await self._upload(client, where, final, f"Final cut — {title}")

    async def _click(self, client: WebClient, where: Where, action_id: str, lines: list[str],
                     message_ts: str, team: str, user: str) -> None:
        verdict = {
            blocks.APPROVE: "✅ Approved", blocks.REJECT: "✋ Rejected",
            blocks.CONFIRM: "✅ Confirmed", blocks.CANCEL: "Cancelled",
        }.get(action_id)
        if verdict is None:
            return
        if message_ts:  # take the buttons away so nobody presses them twice
            await asyncio.to_thread(client.chat_update, channel=where.channel, ts=message_ts,
                                    text=f"{verdict} by <@{user}>", blocks=[])
        if action_id == blocks.CANCEL:
            session, _ = self._session(where)
            session.pending = []
            return
        for line in lines:
            await self._run(client, where, line, team=team, user=user,
                            confirmed=action_id == blocks.CONFIRM)

    async def _say(self, client: WebClient, where: Where, text: str, *, user: str) -> None:
        await asyncio.to_thread(client.chat_postEphemeral, channel=where.channel, user=user,
                                thread_ts=where.thread_ts, text=text)

    # --- helpers ----------------------------------------------------------------------------------

    def _session(self, where: Where) -> tuple[Session, Fanout]:
        if where.project not in self._sessions:
            fanout = Fanout()
            session = Session.open(where.project, self._settings(where.channel), on_event=fanout,
                                   **self.session_kw)
            self._sessions[where.project] = (session, fanout)
        return self._sessions[where.project]

    def _settings(self, channel: str) -> Settings:
        cap = self.policy.cap(channel)
        if cap is None:
            return self.settings
        left = max(0.0, cap - self.threads.channel_spent(channel))
        own = self.settings.budget_usd
        return dataclasses.replace(self.settings, budget_usd=left if own is None else min(own,
                                                                                        left))

    async def _clamp_to_channel(self, session: Session, where: Where) -> Reply | None:
        """Hold a new project to what is left of its channel's cap (a brief may ask for more)."""
        cap = self.policy.cap(where.channel)
        if cap is None:
            return None
        left = max(0.0, cap - self.threads.channel_spent(where.channel))
        view = await session.view()
        if view.budget.cap_usd is not None and view.budget.cap_usd <= left:
            return None
        await session.execute(Budget(usd=round(left, 2)))
        reply = await session.execute(parse("/plan"))
        reply.text += f"\n\nThe channel budget leaves ${left:.2f}; the project's cap is that now."
        return reply

    async def _over_channel_cap(self, session: Session, where: Where) -> str:
        cap = self.policy.cap(where.channel)
        if cap is None:
            return ""
        left = cap - self.threads.channel_spent(where.channel)
        view = await session.view()
        need = view.budget.estimate_usd if view.stage in ("awaiting_approval", "rejected") else 0.0
        if left <= 0 or need > left:
            return (f"This channel's budget is ${cap:.2f} and ${max(left, 0):.2f} is left"
                    + (f"; the plan needs ${need:.2f}" if need else "")
                    + ". Nothing was rendered. Trim the plan (`/edit`) or ask an admin to raise "
                    "DIRECTOR_SLACK_BUDGETS.")
        return ""

    async def _with_progress(self, client: WebClient, where: Where, fanout: Fanout,
                             work: Coroutine[Any, Any, Reply]) -> Reply:
        """Run `work`, keeping one progress message in the thread up to date (throttled)."""
        lines = blocks.ProgressLines()
        changed = threading.Event()

        def sink(event: dict[str, Any]) -> None:
            if lines.add(event):
                changed.set()

        async def pump() -> None:
            ts = ""
            while True:
                await asyncio.sleep(_PROGRESS_EVERY_S)
                if changed.is_set():
                    changed.clear()
                    ts = await self._progress(client, where, ts, lines.text())

        fanout.sinks.append(sink)
        task = asyncio.create_task(pump())
        try:
            return await work
        except DirectorError as exc:
            return Reply(text=str(exc).splitlines()[0], ok=False)
        except Exception as exc:  # a bug must not kill the loop; say so in one line
            log.exception("Slack job failed")
            return Reply(text=f"internal error: {type(exc).__name__}", ok=False)
        finally:
            fanout.sinks.remove(sink)
            task.cancel()

    async def _progress(self, client: WebClient, where: Where, ts: str, text: str) -> str:
        if ts:
            await asyncio.to_thread(client.chat_update, channel=where.channel, ts=ts, text=text)
            return ts
        sent = await asyncio.to_thread(client.chat_postMessage, channel=where.channel,
                                       thread_ts=where.thread_ts, text=text)
        return str(sent["ts"])

    async def _post(self, client: WebClient, where: Where, text: str) -> None:
        await asyncio.to_thread(client.chat_postMessage, channel=where.channel,
                                thread_ts=where.thread_ts, text=blocks.mrkdwn(text))

    async def _post_reply(self, client: WebClient, where: Where, reply: Reply) -> None:
        estimate = reply.estimate_usd if reply.pending and reply.view is not None else None
        payload = blocks.reply_blocks(reply.text, project=where.project.name, view=reply.view,
                                      pending=reply.pending, estimate_usd=estimate)
        await asyncio.to_thread(client.chat_postMessage, channel=where.channel,
                                thread_ts=where.thread_ts, text=blocks.mrkdwn(reply.text)[:3000],
                                blocks=payload)

    async def _upload(self, client: WebClient, where: Where, path: Path, title: str) -> None:
        await asyncio.to_thread(client.files_upload_v2, channel=where.channel,
                                thread_ts=where.thread_ts, file=str(path), filename=path.name,
                                title=title)

    @staticmethod
    def _refusal(user: str) -> str:
        return (f"Sorry <@{user}>, starting renders costs money, and only the people, channels "
                "and workspaces on the director's allow-list (DIRECTOR_SLACK_ALLOWED) may do it. "
                "Nothing was spent. Planning, edits and `/director status` are open to everyone.")


def _is_paid(text: str) -> bool:
    if not is_command(text):
        return False
    try:
        return parse(text).name in _PAID
    except CommandError:
        return False
