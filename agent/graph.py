"""The director's graph, wired in one place.

    plan -> write -> route -> stills -> gate --Send per shot--> shot -> wave -> continuity
                                                                   ^------'      -> assemble
    shot:  submit -> poll -> inspect -> accept
                               \\-> revise -> submit      (attempt and spend caps)
    group: submit -> poll -> segments   (one multi-shot request; a failed segment's shot comes
                                          back in the next wave and is retaken on its own)

route runs before the gate so the person approves real models, a real estimate and a free
storyboard (stills) of every shot. Shots run in parallel; a continuous shot that starts on the
previous clip's last frame waits for the next wave, after its predecessor has finished.
"""

from __future__ import annotations

from typing import Literal

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Send

from director.agent.context import RunContext
from director.agent.nodes.accept import accept, give_up
from director.agent.nodes.assemble import assemble
from director.agent.nodes.continuity import continuity
from director.agent.nodes.gate import gate
from director.agent.nodes.inspect import inspect
from director.agent.nodes.plan import plan
from director.agent.nodes.poll import poll
from director.agent.nodes.revise import revise
from director.agent.nodes.route import route
from director.agent.nodes.segments import segments
from director.agent.nodes.stills import stills
from director.agent.nodes.submit import submit
from director.agent.nodes.write import write
from director.agent.state import DirectorState, ShotInput, ShotOutput, ShotState
from director.film import Take
from director.plan import PlannedShot


def start(state: ShotState) -> Literal["submit", "accept", "revise", "give_up"]:
    """A fresh shot or group is submitted; a grouped shot whose segment failed continues its
    own loop from that segment take."""
    if state.takes and not state.members:
        return after_inspect(state)
    return "submit"


def after_submit(state: ShotState) -> Literal["poll", "inspect", "segments", "give_up"]:
    if state.failure:
        return "give_up"
    # A content refusal comes back as a take without a task: the reviser decides what next.
    if state.take is not None and state.task is None:
        return "segments" if state.members else "inspect"
    return "poll"


def after_poll(state: ShotState) -> Literal["inspect", "segments"]:
    return "segments" if state.members else "inspect"


def after_inspect(state: ShotState) -> Literal["accept", "revise", "give_up"]:
    last = state.takes[-1]
    if last.qc is not None and last.qc.passed:
        return "accept"
    if len(state.takes) >= state.max_attempts:
        return "give_up"
    return "revise"


def after_revise(state: ShotState) -> Literal["submit", "give_up"]:
    return "give_up" if state.failure else "submit"


def build_shot_graph() -> CompiledStateGraph:
    g = StateGraph(
        ShotState, input_schema=ShotInput, output_schema=ShotOutput, context_schema=RunContext
    )
    g.add_node("submit", submit)
    g.add_node("poll", poll)
    g.add_node("inspect", inspect)
    g.add_node("revise", revise)
    g.add_node("accept", accept)
    g.add_node("give_up", give_up)
    g.add_node("segments", segments)
    g.add_conditional_edges(START, start, ["submit", "accept", "revise", "give_up"])
    g.add_conditional_edges("submit", after_submit, ["poll", "inspect", "segments", "give_up"])
    g.add_conditional_edges("poll", after_poll, ["inspect", "segments"])
    g.add_edge("segments", END)
    g.add_conditional_edges("inspect", after_inspect, ["accept", "revise", "give_up"])
    g.add_conditional_edges("revise", after_revise, ["submit", "give_up"])
    g.add_edge("accept", END)
    g.add_edge("give_up", END)
    return g.compile(name="shot")


def fan_out(state: DirectorState) -> list[Send] | str:
    """The first wave: every shot still to do whose chain predecessor is done. Shots accepted
    in an earlier run are not sent again."""
    if not state.approved or state.plan is None:
        return END
    return _wave(state, redo_failed=True)


def next_wave(state: DirectorState) -> list[Send] | str:
    """After a wave: continuous shots whose predecessor just finished, else the continuity
    pass and the cut."""
    return _wave(state, redo_failed=False)


def _wave(state: DirectorState, *, redo_failed: bool) -> list[Send] | str:
    assert state.plan is not None
    brief = state.brief

    def pending(index: int) -> bool:
        result = state.results.get(index)
        return result is None or (redo_failed and result.status != "accepted")

    def history(index: int) -> list[Take]:
        """Takes a grouped shot already has: its failed segment, or its earlier loop's takes."""
        if index in state.handoff and index not in state.results:
            return [state.handoff[index]]
        result = state.results.get(index)
        return list(result.takes) if result is not None else []

    def group_unrendered(members: list[PlannedShot]) -> bool:
        return all(pending(m.index) and not history(m.index) for m in members)

    todo = [s for s in state.plan.shots if pending(s.index)]
    # A chained shot waits for its predecessor's clip; everything else goes at once.
    ready = [s for s in todo if s.chain_from is None or not pending(s.chain_from)]
    sends = []
    for s in ready:
        group = state.plan.group_of(s.index)
        members: list[PlannedShot] = []
        takes: list[Take] = []
        if group and group_unrendered(group):
            if s.index != group[0].index:
                continue  # the lead's one request renders it
            members = group
        elif group:
            # The group was rendered: this shot goes alone from the takes it has, so its
            # attempt numbers never reuse the group's.
            takes = history(s.index)
        before = state.results.get(s.chain_from) if s.chain_from is not None else None
        accepted = before is not None and before.status == "accepted"
        chain_video = before.video_path if accepted else ""
        sends.append(
            Send(
                "shot",
                ShotInput(
                    planned=s,
                    aspect_ratio=brief.aspect_ratio,
                    resolution=brief.resolution,
                    audio=brief.audio,
                    budget_usd=state.budget_usd,
                    max_attempts=state.max_attempts,
                    chain_video=chain_video,
                    members=members,
                    takes=takes,
                ),
            )
        )
    return sends or "continuity"


def _waves_done(state: DirectorState) -> dict:
    """A join point after each wave of shots, so the next wave is planned once."""
    return {}


def build_graph(
    checkpointer: BaseCheckpointSaver | None = None, context_schema: type[RunContext] = RunContext
) -> CompiledStateGraph:
    """The director graph. Compiled with its context schema (never swapped in afterwards by
    `copy`), so LangGraph's strict checkpoint loading allows every type the state can hold."""
    g = StateGraph(DirectorState, context_schema=context_schema)
    g.add_node("plan", plan)
    g.add_node("write", write)
    g.add_node("route", route)
    g.add_node("stills", stills)
    g.add_node("gate", gate)
    g.add_node("shot", build_shot_graph())
    g.add_node("assemble", assemble)
    g.add_edge(START, "plan")
    g.add_edge("plan", "write")
    g.add_edge("write", "route")
    g.add_edge("route", "stills")
    g.add_edge("stills", "gate")
    g.add_node("wave", _waves_done)
    g.add_node("continuity", continuity)
    g.add_conditional_edges("gate", fan_out, ["shot", "continuity", END])
    g.add_edge("shot", "wave")
    g.add_conditional_edges("wave", next_wave, ["shot", "continuity"])
    g.add_edge("continuity", "assemble")
    g.add_edge("assemble", END)
    return g.compile(checkpointer=checkpointer, name="director")
