"""The chat page's handlers: one Session per project folder, and what every control of the page
does (the page itself is laid out in chat.py).

Everything shown is read back from the project folder (checkpoint, ledger, chat.json), so a
reload, a second tab or another door sees the same project. The browser only names which
project folder it is looking at.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import gradio as gr

from director.agent.checkpoint import has_run
from director.commands import New, Status
from director.config import Settings
from director.project import FINAL, PLAN, STATE, Project, atomic_write_text
from director.ui import chat_view
from director.ui.chat_view import Steps
from director.ui.session import Fanout, Reply, Session
from director.ui.views import ProjectView

TRANSCRIPT = "chat.json"
_KEEP = 300  # messages kept in chat.json


class ChatDoor:
    """Sessions per project folder, and the handlers behind every control of the page."""

    def __init__(self, settings: Settings, projects_dir: Path,
                 session_kw: dict[str, Any] | None = None) -> None:
        self.settings = settings
        self.projects_dir = projects_dir.resolve()
        self.session_kw = session_kw or {}
        self._sessions: dict[Path, tuple[Session, Fanout]] = {}
        self._asks: dict[Path, float | None] = {}

    # --- projects -------------------------------------------------------------------------

    def projects(self) -> list[str]:
        """Project folders, newest first."""
        if not self.projects_dir.is_dir():
            return []
        found = [p for p in self.projects_dir.iterdir()
                 if p.is_dir() and (p / PLAN).exists() and has_run(Project(p))]
        # A run kept in a shared database has no state file: its plan marks the last change.
        found.sort(key=lambda p: (p / (STATE if (p / STATE).exists() else PLAN)).stat().st_mtime,
                   reverse=True)
        return [p.name for p in found]

    def _root(self, name: str | None) -> Path | None:
        # Only names the picker offers: a request can never point outside the projects folder.
        return self.projects_dir / name if name and name in self.projects() else None

    def _session(self, root: Path) -> tuple[Session, Fanout]:
        if root not in self._sessions:
            fanout = Fanout()
            session = Session.open(root, self.settings, on_event=fanout, **self.session_kw)
            self._sessions[root] = (session, fanout)
        return self._sessions[root]

    # --- transcript -------------------------------------------------------------------------

    def _history(self, root: Path | None) -> list[dict[str, Any]]:
        if root is None:
            return []
        try:
            stored = json.loads((root / TRANSCRIPT).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        out = []
        for m in stored if isinstance(stored, list) else []:
            content = m.get("content")
            if isinstance(content, dict) and "file" in content:
                path = (root / str(content["file"])).resolve()
                if not path.is_relative_to(root.resolve()) or not path.exists():
                    continue
                content = {"path": str(path)}
            out.append({**m, "content": content})
        return out

    def _save(self, root: Path, history: list[dict[str, Any]]) -> None:
        stored = []
        for m in history[-_KEEP:]:
            content = m.get("content")
            if isinstance(content, dict) and "path" in content:
                content = {"file": str(Path(content["path"]).resolve().relative_to(root.resolve()))}
            stored.append({**m, "content": content})
        atomic_write_text(root / TRANSCRIPT, json.dumps(stored, indent=1))

    # --- outputs ----------------------------------------------------------------------------

    async def _panels(self, root: Path | None, history: list[dict[str, Any]]) -> tuple:
        view = await self._session(root)[0].view() if root else ProjectView()
        pending = bool(root and self._sessions.get(root) and self._sessions[root][0].pending)
        ask = self._asks.get(root) if root else None
        label = "Confirm spend" + (f" · about ${ask:.2f}" if ask else "")
        stage = view.stage
        cut = str(Path(view.project) / view.cut) if view.cut else None
        return (
            history,
            gr.update(choices=self.projects(), value=root.name if root else None),
            chat_view.budget_meter(view),
            chat_view.board(view),
            gr.update(value=chat_view.shot_rows(view) or None),
            chat_view.cast(view),
            chat_view.takes(view),
            cut,
            chat_view.cut_summary(view),
            gr.update(visible=pending, value=label),
            gr.update(visible=pending),
            gr.update(interactive=stage in ("awaiting_approval", "rejected")),
            gr.update(interactive=stage != "empty"),
            gr.update(interactive=stage == "awaiting_approval"),
            "",
        )

    @staticmethod
    def _only_chat(history: list[dict[str, Any]]) -> tuple:
        return (history, *[gr.skip() for _ in range(14)])

    # --- handlers -----------------------------------------------------------------------------

    async def load(self) -> tuple:
        names = self.projects()
        return await self.open(names[0] if names else None)

    async def open(self, name: str | None) -> tuple:
        root = self._root(name)
        history = self._history(root)
        if root is not None and not history:
            # A project started in another door: open with where it stands, not a blank chat.
            reply = await self._session(root)[0].execute(Status())
            self._add_reply(history, reply, root)
            cut = root / FINAL
            if cut.exists():
                history.append({"role": "assistant", "content": {"path": str(cut)}})
        return await self._panels(root, history)

    async def blank(self) -> tuple:
        return await self._panels(None, [])

    async def send(self, message: str, name: str | None) -> AsyncIterator[tuple]:
        text = (message or "").strip()
        if not text:
            yield await self.open(name)
            return
        async for out in self._drive(name, text, shown=text):
            yield out

    async def approve(self, name: str | None) -> AsyncIterator[tuple]:
        async for out in self._drive(name, "/approve"):
            yield out

    async def confirm(self, name: str | None) -> AsyncIterator[tuple]:
        async for out in self._drive(name, "yes", shown="Confirmed ✔"):
            yield out

    async def cancel(self, name: str | None) -> AsyncIterator[tuple]:
        async for out in self._drive(name, "no", shown="Cancel"):
            yield out

    async def render(self, name: str | None) -> AsyncIterator[tuple]:
        async for out in self._drive(name, "/render"):
            yield out

    async def reject(self, name: str | None) -> AsyncIterator[tuple]:
        async for out in self._drive(name, "/reject turned down on the chat page"):
            yield out

    async def revise(self, name: str | None, shot: float | None, variable: str | None,
                     value: str) -> AsyncIterator[tuple]:
        line = f"/revise {int(shot or 0)} {variable or ''} {(value or '').strip()}"
        async for out in self._drive(name, line):
            yield out

    async def save_edits(self, name: str | None, rows: Any) -> AsyncIterator[tuple]:
        root = self._root(name)
        if root is None:
            yield await self.open(name)
            return
        view = await self._session(root)[0].view()
        table = rows.values.tolist() if hasattr(rows, "values") else (rows or [])
        lines = chat_view.edits(view, table)
        if not lines:
            history = self._history(root)
            history.append({"role": "assistant", "content": "No shot changed in the table."})
            yield await self._panels(root, history)
            return
        for line in lines:
            async for out in self._drive(name, line):
                yield out

    # --- the streaming driver -------------------------------------------------------------------

    async def _drive(self, name: str | None, line: str, *, shown: str = "") -> AsyncIterator[tuple]:
        root = self._root(name)
        history = self._history(root)
        history.append({"role": "user", "content": shown or line})
        if root is None:
            fanout = Fanout()
            session = Session(self.settings, projects_dir=self.projects_dir, on_event=fanout,
                              **self.session_kw)
            # With no project open, free words are a brief; "/..." stays a command (/help).
            work = (session.handle(line) if line.startswith("/")
                    else session.execute(New(text=line)))
        else:
            session, fanout = self._session(root)
            work = session.handle(line)
        steps = Steps(history)
        events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        loop = asyncio.get_running_loop()

        def sink(event: dict[str, Any]) -> None:
            loop.call_soon_threadsafe(events.put_nowait, event)

        fanout.sinks.append(sink)
        task = asyncio.ensure_future(work)
        try:
            yield self._only_chat(history)
            while not task.done():
                getter = asyncio.ensure_future(events.get())
                done, _ = await asyncio.wait({task, getter}, return_when=asyncio.FIRST_COMPLETED)
                if getter in done:
                    steps.add(getter.result())
                    while not events.empty():
                        steps.add(events.get_nowait())
                    yield self._only_chat(history)
                else:
                    getter.cancel()
            reply = _result(task)
        finally:
            fanout.sinks.remove(sink)
        steps.finish()
        if root is None and session.project is not None:
            root = session.project.root.resolve()
            self._sessions[root] = (session, fanout)
        self._add_reply(history, reply, root)
        if root is not None:
            self._asks[root] = reply.estimate_usd if reply.pending else None
            self._save(root, history)
        yield await self._panels(root, history)

    @staticmethod
    def _add_reply(history: list[dict[str, Any]], reply: Reply, root: Path | None) -> None:
        history.append({"role": "assistant", "content": reply.text})
        for path in reply.files:
            shown = path.suffix.lower() in (".mp4", ".png", ".jpg")
            if shown and root is not None and path.resolve().is_relative_to(root):
                history.append({"role": "assistant", "content": {"path": str(path.resolve())}})


def _result(task: asyncio.Future) -> Reply:
    try:
        return task.result()
    except Exception as exc:  # the page must answer even when a command breaks
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return Reply(text=f"Sorry, that failed: {first}", ok=False)
