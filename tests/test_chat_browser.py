"""The chat page in a real headless Chromium, driven over the DevTools protocol.

A project with a cut is made first (local animatic), then the page is opened as a person would
open it: the storyboard, the shot list and the cut's video must be in the DOM. A screenshot is
saved under the test's tmp dir.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from director.config import Settings
from director.ui.chat import launch_kwargs, make_chat_app
from director.ui.session import Session

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BRIEF = "A 10 second ad: a baker at dawn pulls bread from the oven, warm tungsten light, 16:9"
SCREENSHOT_COPY = Path("/work/team/chat.png")

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary on PATH")


class DevTools:
    """A minimal DevTools-protocol client for one page target."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.ids = itertools.count(1)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        msg_id = next(self.ids)
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        while True:
            reply = json.loads(self.ws.recv(timeout=30))
            if reply.get("id") == msg_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]

    def js(self, expression: str) -> Any:
        out = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return out["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 30.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.js(expression)
            if value:
                return value
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {expression}")


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[DevTools]:
    profile = tmp_path / "chromium-profile"
    proc = subprocess.Popen(
        [CHROMIUM or "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={profile}", "--window-size=1400,1000",
         "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 20
        while not port_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        port = int(port_file.read_text().splitlines()[0])
        targets = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json()
        page = next(t for t in targets if t["type"] == "page")
        with connect(page["webSocketDebuggerUrl"], max_size=64 * 1024 * 1024,
                     open_timeout=10) as ws:
            yield DevTools(ws)
    finally:
        proc.terminate()
        proc.wait(10)


def _project_with_cut(projects: Path) -> Path:
    async def make() -> Path:
        session = await Session.create(BRIEF, projects, Settings())
        reply = await session.handle("/approve", confirmed=True)
        assert reply.ok, reply.text
        assert session.project is not None
        return session.project.root

    return asyncio.run(make())


def test_page_shows_storyboard_shot_list_and_cut(browser: DevTools, tmp_path: Path) -> None:
    projects = tmp_path / "projects"
    root = _project_with_cut(projects)
    assert (root / "final.mp4").exists()
    demo = make_chat_app(Settings(), projects_dir=projects)
    _, url, _ = demo.launch(prevent_thread_lock=True, **launch_kwargs(projects))
    try:
        browser.call("Page.enable")
        browser.call("Page.navigate", url=url)
        cards = browser.wait_for("document.querySelectorAll('#vd-board .vd-card').length")
        plan = json.loads((root / "plan.json").read_text())
        assert cards == len(plan["shots"])
        meter = browser.js("document.querySelector('#vd-meter').innerText")
        assert "cut ready" in meter.lower() and "spent $0.00" in meter

        browser.js("document.querySelector('#vd-tab-shots-button').click()")
        table = browser.wait_for(
            "document.querySelector('#vd-shots') && "
            "document.querySelector('#vd-shots').innerText.includes('kelvin') && "
            "document.querySelector('#vd-shots').innerText"
        )
        for shot in plan["shots"]:
            assert shot["prompt"][:40] in table and shot["model"] in table

        browser.js("document.querySelector('#vd-tab-cut-button').click()")
        cut_src = browser.wait_for(
            "[...document.querySelectorAll('#vd-cut video')].map(v => v.src)"
            ".find(s => s.includes('final.mp4')) || ''"
        )
        assert "/gradio_api/file=" in cut_src
        assert httpx.get(cut_src, timeout=10).content[4:8] == b"ftyp"  # a real MP4 is served

        browser.js("document.querySelector('#vd-tab-board-button').click()")
        browser.wait_for("document.querySelector('#vd-board img') !== null")
        time.sleep(1.0)  # let the storyboard frames decode before the screenshot
        shot = browser.call("Page.captureScreenshot", format="png")
        png = tmp_path / "chat.png"
        png.write_bytes(base64.b64decode(shot["data"]))
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
        if SCREENSHOT_COPY.parent.is_dir():
            shutil.copyfile(png, SCREENSHOT_COPY)
    finally:
        demo.close()
