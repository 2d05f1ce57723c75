"""The director's graph on LangGraph Server (`langgraph dev`, `langgraph up`), named in
langgraph.json.

The server runs many threads across workers with its own checkpointer, and hands each run the
`context` object of the run request, as JSON. LangGraph turns that dict into the graph's context
schema with `schema(**context)`. Nodes need a RunContext holding live clients, so the server's
schema is ServerContext: a RunContext whose constructor takes only the JSON fields (project name,
provider, tier, brain, approval) and builds the clients the way every other front door does.
A request may name a project only: its folder is always inside DIRECTOR_PROJECTS_DIR.
"""

# No `from __future__ import annotations`: the server may load this file by path, outside
# sys.modules, where dataclasses cannot resolve string annotations.
from dataclasses import dataclass, fields
from typing import Any

from langgraph.graph.state import CompiledStateGraph
from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler, ValidationError
from pydantic_core import core_schema

from director.agent.context import RunContext
from director.agent.graph import build_graph
from director.config import Settings
from director.errors import UsageError
from director.memory import limit_malloc_arenas
from director.project import Project, slugify


class ServerRequest(BaseModel):
    """The `context` of a run request: plain JSON, shown as the assistant's context schema."""

    # Keys are never taken from a request: an unknown field is refused, not carried along.
    model_config = ConfigDict(extra="forbid")

    project: str = Field(min_length=1, max_length=200)
    """Project name; the folder is DIRECTOR_PROJECTS_DIR/<slug of the name>."""
    provider: str = ""
    """Render every shot on this provider (e.g. "sim"); empty lets routing choose."""
    tier: str = ""
    """draft or final; empty keeps the brief's or DIRECTOR_TIER's."""
    brain: str = ""
    """llm, rules, or empty (llm when OPENAI_API_KEY or OPENAI_BASE_URL is set)."""
    auto_approve: bool = False
    """Skip the approval interrupt; otherwise resume the thread with Command(resume=...)."""


@dataclass(init=False)
class ServerContext(RunContext):
    """A RunContext built from a ServerRequest's fields, as LangGraph coerces a run's context."""

    request: ServerRequest | None = None
    """The JSON the run was started with."""

    def __init__(self, **request: Any) -> None:
        # Imported here: the server is a front door like the CLI and shares its context factory.
        from director.ui.runner import make_context

        try:
            parsed = ServerRequest.model_validate(request)
        except ValidationError as exc:
            # Field names and reasons only: the values may hold anything a client sent.
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'context'}: {e['msg']}" for e in exc.errors()
            )
            raise UsageError(f"run context: {problems}") from None
        settings = Settings.from_env()
        # The folder is made by the plan node, off the server's event loop.
        project = Project(settings.projects_dir / slugify(parsed.project))
        built = make_context(
            project,
            settings,
            auto_approve=parsed.auto_approve,
            provider=parsed.provider,
            tier=parsed.tier,
            brain=parsed.brain,
        )
        super().__init__(**{f.name: getattr(built, f.name) for f in fields(RunContext)})
        self.request = parsed

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        # The schema the server publishes is the request's; clients are never part of it.
        return core_schema.no_info_after_validator_function(
            lambda r: cls(**r.model_dump()), handler(ServerRequest)
        )


def make_graph() -> CompiledStateGraph:
    """The graph factory langgraph.json names: the director graph without a checkpointer (the
    server brings its own), taking ServerContext as its context schema."""
    # The server process hosts many runs' threads: the same malloc arena cap as the CLI.
    limit_malloc_arenas()
    return build_graph(context_schema=ServerContext)
