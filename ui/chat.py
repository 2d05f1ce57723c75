"""The chat page (`director chat`): talk to the director, see the plan, takes and cut beside it.

Everything shown is read back from the project folder (checkpoint, ledger, chat.json), so a
reload, a second tab or another door sees the same project. The browser only names which
project folder it is looking at.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from director.config import Settings
from director.film import Variable
from director.ui import chat_theme, chat_view
from director.ui.chat_door import TRANSCRIPT, ChatDoor
from director.ui.views import ProjectView

# ChatDoor and TRANSCRIPT are re-exported: callers import them from here.
__all__ = ["TRANSCRIPT", "ChatDoor", "build_page", "launch_kwargs", "make_chat_app", "run_chat"]

_VARIABLES: tuple[str, ...] = Variable.__args__  # type: ignore[attr-defined]


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
