"""The director graph on a real LangGraph Server: N projects as N threads at once, over HTTP.

Run:  .venv/bin/pip install 'langgraph-cli[inmem]'      (not a project dependency)
      .venv/bin/python bench/server.py [--projects 4] [--shots 3] [--latency-scale 0.05]
                                       [--strict-msgpack]

Starts `langgraph dev` (the in-memory runtime) on this repo's langgraph.json with its blocking
call detection left on (a run that blocks the event loop fails there), then:

  1. one project alone, as the baseline;
  2. N projects at once, each its own thread and project folder, all on the `sim` provider,
     approved through the run context (auto_approve), as a team's clients would start them.

It prints the server's start-up time, each run's wall time, N-at-once wall against one alone,
and checks that every project ended with a cut that decodes (PyAV) and every shot accepted or
failed with a reason. Exits 1 when a run fails or a cut is missing; 2 when langgraph-cli is not
installed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import av
import httpx
from langgraph_sdk import get_client

sys.path.insert(0, str(Path(__file__).resolve().parent))
from workload import lighthouse_brief

from director.project import slugify

REPO = Path(__file__).resolve().parent.parent


def _langgraph() -> str | None:
    beside = Path(sys.executable).with_name("langgraph")
    return str(beside) if beside.exists() else shutil.which("langgraph")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(cli: str, env: dict[str, str], jobs: int, work: Path) -> tuple[Any, str, float]:
    """Start `langgraph dev` in `work`, where it keeps its own state files (never the repo),
    on a copy of langgraph.json whose paths point back into the repo."""
    config = json.loads((REPO / "langgraph.json").read_text(encoding="utf-8"))
    config["dependencies"] = [str(REPO)]
    config["graphs"] = {name: str(REPO / spec.removeprefix("./"))
                        for name, spec in config["graphs"].items()}
    (work / "langgraph.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    port = _free_port()
    log = work / "server.log"
    started = time.monotonic()
    server = subprocess.Popen(
        [cli, "dev", "--config", str(work / "langgraph.json"), "--no-browser", "--no-reload",
         "--port", str(port), "--n-jobs-per-worker", str(jobs)],
        cwd=work, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )
    deadline = started + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"langgraph dev exited {server.returncode}; see {log}")
        # The dev server moves to another port when the asked one is taken: read it back.
        found = re.search(r"API: \S*http://127\.0\.0\.1:(\d+)", _plain(log.read_text()))
        url = f"http://127.0.0.1:{found.group(1) if found else port}"
        try:
            if httpx.get(f"{url}/ok", timeout=1).status_code == 200:
                return server, url, time.monotonic() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    server.kill()
    raise SystemExit(f"langgraph dev did not answer within 120 s; see {log}")


def _plain(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


async def run_project(url: str, title: str, shots: int, offset: int) -> dict[str, Any]:
    client = get_client(url=url)
    thread = await client.threads.create()
    brief = lighthouse_brief(title, shots, offset=offset).model_dump(mode="json")
    context = {"project": title, "provider": "sim", "auto_approve": True}
    started = time.monotonic()
    await client.runs.wait(thread["thread_id"], "director", input={"brief": brief},
                           context=context, raise_error=False)
    state = await client.threads.get_state(thread["thread_id"])
    values = state["values"]
    return {
        "title": title,
        "wall_s": time.monotonic() - started,
        "next": state["next"],
        "results": {k: v.get("status") for k, v in (values.get("results") or {}).items()},
        "cut": values.get("cut"),
    }


def cut_seconds(projects_dir: Path, title: str) -> float:
    with av.open(str(projects_dir / slugify(title) / "final.mp4")) as container:
        frames = sum(1 for _ in container.decode(video=0))
        rate = container.streams.video[0].average_rate
    return frames / float(rate or 24)


def check(outcome: dict[str, Any], projects_dir: Path, shots: int) -> str:
    """"" when the project ended with a cut of its shots, else what went wrong."""
    if outcome["next"]:
        return f"stopped before the end (next: {outcome['next']})"
    if not outcome["cut"]:
        return "no cut"
    if len(outcome["results"]) != shots:
        return f"{len(outcome['results'])} of {shots} shots have a result"
    try:
        seconds = cut_seconds(projects_dir, outcome["title"])
    except (OSError, av.error.FFmpegError) as exc:
        return f"cut does not decode: {exc}"
    return "" if seconds > 0 else "empty cut"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--projects", type=int, default=4)
    parser.add_argument("--shots", type=int, default=3)
    parser.add_argument("--latency-scale", type=float, default=0.05)
    parser.add_argument("--strict-msgpack", action="store_true",
                        help="LANGGRAPH_STRICT_MSGPACK=true on the server")
    args = parser.parse_args()
    cli = _langgraph()
    if cli is None:
        print("langgraph-cli is not installed: pip install 'langgraph-cli[inmem]'")
        return 2
    work = Path(tempfile.mkdtemp(prefix="director-server-"))
    projects_dir = work / "projects"
    env = {**os.environ, "DIRECTOR_PROJECTS_DIR": str(projects_dir),
           "DIRECTOR_SIM_LATENCY_SCALE": str(args.latency_scale),
           "DIRECTOR_SIM_FAULTS": "wrong_direction=0,no_motion=0,frozen=0,black=0",
           "LANGGRAPH_CLI_NO_ANALYTICS": "1"}
    if args.strict_msgpack:
        env["LANGGRAPH_STRICT_MSGPACK"] = "true"
    log = work / "server.log"
    server, url, startup = start_server(cli, env, max(10, args.projects), work)
    failures: list[str] = []
    try:
        alone = asyncio.run(run_project(url, "Alone 0", args.shots, 0))
        if why := check(alone, projects_dir, args.shots):
            failures.append(f"{alone['title']}: {why}")
        started = time.monotonic()
        together = asyncio.run(_together(url, args.projects, args.shots))
        wall = time.monotonic() - started
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
    for outcome in together:
        if why := check(outcome, projects_dir, args.shots):
            failures.append(f"{outcome['title']}: {why}")
    blocking = _plain(log.read_text()).count("BlockingError")
    print(f"langgraph dev up in {startup:.1f} s ({url}); log {log}")
    print(f"one project alone ({args.shots} shots, latency x{args.latency_scale:g}): "
          f"{alone['wall_s']:.1f} s")
    for outcome in together:
        print(f"  {outcome['title']:<12} {outcome['wall_s']:6.1f} s  "
              f"{sorted(set(outcome['results'].values()))}")
    print(f"{args.projects} projects at once: {wall:.1f} s wall = "
          f"{wall / alone['wall_s']:.2f} x one alone "
          f"(a {args.projects}x sequential run would be {args.projects:.2f} x)")
    print(f"blocking-call errors in the server log: {blocking}")
    print(f"cuts checked: {args.projects + 1 - len(failures)} of {args.projects + 1}")
    for failure in failures:
        print(f"FAIL {failure}")
    return 1 if failures or blocking else 0


async def _together(url: str, projects: int, shots: int) -> list[dict[str, Any]]:
    return list(await asyncio.gather(
        *(run_project(url, f"Together {i}", shots, i) for i in range(projects))
    ))


if __name__ == "__main__":
    raise SystemExit(main())
