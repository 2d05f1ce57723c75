"""Every model that sits in a checkpoint loads back as itself, not as a plain dict."""

from __future__ import annotations

from director.agent.checkpoint import serializer
from director.agent.state import ShotResult
from director.film import Take
from director.inspection import Finding, QCReport
from director.takes import GenerationRequest, TaskRef


def test_takes_and_qc_round_trip_through_the_checkpoint_serializer() -> None:
    request = GenerationRequest(
        shot_index=0,
        model="animatic",
        provider="animatic",
        prompt="a cup",
        duration_s=2,
        width=64,
        height=36,
    )
    take = Take(
        shot_index=0,
        attempt=1,
        request=request,
        task=TaskRef(provider="animatic", task_id="t1", model="animatic", submitted_at=1.0),
        qc=QCReport(decodable=True, findings=[Finding(check="static", message="x")]),
    )
    result = ShotResult(index=0, status="accepted", takes=[take])
    serde = serializer()
    loaded = serde.loads_typed(serde.dumps_typed(result))
    assert isinstance(loaded, ShotResult)
    back = loaded.takes[0]
    assert isinstance(back, Take) and isinstance(back.request, GenerationRequest)
    assert isinstance(back.task, TaskRef) and isinstance(back.qc, QCReport)
    assert back == take
    # Taken on its own (as a pending write is), a take is rebuilt only if its type is allowed.
    alone = serde.loads_typed(serde.dumps_typed(take))
    assert isinstance(alone, Take) and alone == take
