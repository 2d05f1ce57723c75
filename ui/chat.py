"""The chat page (`director chat`): talk to the director, see the plan, takes and cut beside it.

Everything shown is read back from the project folder (checkpoint, ledger, chat.json), so a
reload, a second tab or another door sees the same project. The browser only names which
project folder it is looking at.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import gradio as gr

from director.commands import New, Status
from director.config import Settings
from director.film import Variable
from director.project import FINAL, PLAN, STATE, atomic_write_text
from director.ui import chat_theme, chat_view
from director.ui.chat_view import Steps
from director.ui.session import Reply, Session
from director.ui.views import ProjectView

TRANSCRIPT = "chat.json"
_KEEP = 300  # messages kept in chat.json
_VARIABLES: tuple[str, ...] = Variable.__args__  # type: ignore[attr-defined]

class _Fanout:
    """A session's on_event: forwards graph events to whichever request is listening."""

    def __init__(self) -> None:
        self.sinks: list[Callable[[dict[str, Any]], None]] = []

    def __call__(self, event: dict[str, Any]) -> None:
        for sink in list(self.sinks):
            sink(event)


class ChatDoor:
    """Sessions per project folder, and the handlers behind every control of the page."""

    def __init__(self, settings: Settings, projects_dir: Path,
                 session_kw: dict[str, Any] | None = None) -> None:
        self.settings = settings
        self.projects_dir = projects_dir.resolve()
        self.session_kw = session_kw or {}
        self._sessions: dict[Path, tuple[Session, _Fanout]] = {}
        self._asks: dict[Path, float | None] = {}

    # --- projects -------------------------------------------------------------------------

    def projects(self) -> list[str]:
        """Project folders, newest first."""
        if not self.projects_dir.is_dir():
            return []
        found = [p for p in self.projects_dir.iterdir()
                 if p.is_dir() and (p / PLAN).exists() and (p / STATE).exists()]
        found.sort(key=lambda p: (p / STATE).stat().st_mtime, reverse=True)
        return [p.name for p in found]

    def _root(self, name: str | None) -> Path | None:
        # Only names the picker offers: a request can never point outside the projects folder.
        return self.projects_dir / name if name and name in self.projects() else None

    def _session(self, root: Path) -> tuple[Session, _Fanout]:
        if root not in self._sessions:
            fanout = _Fanout()
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
            fanout = _Fanout()
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
            self._asks[root] = _money(reply.text) if reply.pending else None
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


def _money(text: str) -> float | None:
    match = re.search(r"about \$(\d+(?:\.\d+)?)", text)
    return float(match.group(1)) if match else None


def build_page(door: ChatDoor) -> gr.Blocks:
    """The page: conversation on the left, the film on the right, money always in view."""
    with gr.Blocks(title="video-director") as page:
        with gr.Row(equal_height=True):
            gr.HTML(scale=3, value='<div id="vd-header"><h1><span class="mark">▍</span>'
                    'VIDEO-DIRECTOR</h1><span class="tag">brief → shot list → takes → cut</span>'
                    "</div>")
            # Custom values pass the widget; ChatDoor._root admits only real project folders.
            picker = gr.Dropdown(label="Project", choices=door.projects(), value=None,
                                 allow_custom_value=True, scale=2, min_width=280,
                                 elem_id="vd-picker")
            blank = gr.Button("+ New film", scale=0, min_width=150)
        meter = gr.HTML(chat_view.budget_meter(ProjectView()), elem_id="vd-meter")
        with gr.Row():
            with gr.Column(scale=5, min_width=420):
                chat = gr.Chatbot(label="Director", height=600, elem_id="vd-chat",
                                  buttons=["copy"], feedback_options=None,
                                  placeholder="Describe the film: length, who, where, light, "
                                  "format. Commands start with / (try /help).")
                msg = gr.Textbox(show_label=False, lines=2, max_lines=8, submit_btn=True,
                                 placeholder="A 15 s ad: a baker at dawn pulls bread from the "
                                 "oven, warm tungsten light, 16:9 …", elem_id="vd-input")
                with gr.Row():
                    approve = gr.Button("✓ Approve plan", variant="primary", interactive=False)
                    reject = gr.Button("✕ Reject", interactive=False)
                    render = gr.Button("▶ Render", interactive=False)
                with gr.Row():
                    confirm = gr.Button("Confirm spend", variant="primary", visible=False,
                                        elem_id="vd-confirm")
                    cancel = gr.Button("Cancel", variant="stop", visible=False)
            with gr.Column(scale=7, min_width=520), gr.Tabs():
                with gr.Tab("Storyboard", elem_id="vd-tab-board"):
                    board = gr.HTML(chat_view.board(ProjectView()), elem_id="vd-board")
                with gr.Tab("Shot list", elem_id="vd-tab-shots"):
                    shots = gr.Dataframe(
                        headers=chat_view.SHOT_HEADERS, type="array", interactive=True,
                        wrap=True, static_columns=chat_view.STATIC_COLUMNS,
                        label="Edit a cell, then save: each change becomes /edit shot N",
                        elem_id="vd-shots", max_height=560,
                    )
                    save = gr.Button("Save shot edits", variant="primary")
                with gr.Tab("Cast & locations"):
                    cast = gr.HTML(chat_view.cast(ProjectView()))
                with gr.Tab("Takes", elem_id="vd-tab-takes"):
                    takes = gr.HTML(chat_view.takes(ProjectView()), elem_id="vd-takes")
                    with gr.Row():
                        shot_no = gr.Number(label="Shot", value=1, precision=0, minimum=1,
                                            min_width=80)
                        variable = gr.Dropdown(list(_VARIABLES), value="camera",
                                               label="Change ONE variable", min_width=160)
                        value = gr.Textbox(label="New value", placeholder="push_in",
                                           min_width=160)
                        retake = gr.Button("↻ Retake", min_width=100)
                with gr.Tab("Cut", elem_id="vd-tab-cut"):
                    cut_video = gr.Video(label="Final cut", interactive=False,
                                         elem_id="vd-cut")
                    cut_info = gr.HTML(chat_view.cut_summary(ProjectView()))
        outputs = [chat, picker, meter, board, shots, cast, takes, cut_video, cut_info,
                   confirm, cancel, approve, render, reject, msg]
        page.load(door.load, outputs=outputs, api_name="load")
        picker.input(door.open, inputs=[picker], outputs=outputs, api_name="open")
        blank.click(door.blank, outputs=outputs, api_name="blank")
        msg.submit(door.send, inputs=[msg, picker], outputs=outputs, api_name="send")
        approve.click(door.approve, inputs=[picker], outputs=outputs, api_name="approve")
        confirm.click(door.confirm, inputs=[picker], outputs=outputs, api_name="confirm")
        cancel.click(door.cancel, inputs=[picker], outputs=outputs, api_name="cancel")
        render.click(door.render, inputs=[picker], outputs=outputs, api_name="render")
        reject.click(door.reject, inputs=[picker], outputs=outputs, api_name="reject")
        save.click(door.save_edits, inputs=[picker, shots], outputs=outputs, api_name="edit")
        retake.click(door.revise, inputs=[picker, shot_no, variable, value], outputs=outputs,
                     api_name="revise")
    page.queue(default_concurrency_limit=4)
    return page


def make_chat_app(settings: Settings, *, projects_dir: Path | None = None,
                  session_kw: dict[str, Any] | None = None) -> gr.Blocks:
    """The page for a projects folder; `session_kw` reaches every Session (tests inject
    providers and brains here)."""
    root = (projects_dir or settings.projects_dir).resolve()
    root.mkdir(parents=True, exist_ok=True)
    return build_page(ChatDoor(settings, root, session_kw))


def launch_kwargs(projects_dir: Path, *, host: str = "127.0.0.1", port: int | None = None,
                  share: bool = False, auth: tuple[str, str] | None = None) -> dict[str, Any]:
    """launch() arguments: loopback unless asked, files only from the projects folder."""
    return {
        "server_name": host,
        "server_port": port,
        "share": share,
        "auth": auth,
        "allowed_paths": [str(projects_dir.resolve())],
        "theme": chat_theme.theme(),
        "css": chat_theme.CSS,
        "js": chat_theme.JS,
        "footer_links": [],
        "show_error": False,
        "quiet": True,
    }


def run_chat(settings: Settings, *, host: str = "127.0.0.1", port: int = 7860,
             share: bool = False, auth: str = "") -> None:
    """`director chat`: serve the page until interrupted."""
    from director.errors import DirectorError

    credentials: tuple[str, str] | None = None
    if auth:
        user, sep, password = auth.partition(":")
        if not sep or not user or not password:
            raise DirectorError("--auth must look like user:password")
        credentials = (user, password)
    page = make_chat_app(settings)
    kwargs = launch_kwargs(settings.projects_dir, host=host, port=port, share=share,
                           auth=credentials)
    kwargs["quiet"] = False
    try:
        page.launch(**kwargs)
    except OSError as exc:
        raise DirectorError(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None
