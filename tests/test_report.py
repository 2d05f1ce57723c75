"""The report's experiment table and the project summary of the retake loop."""

from __future__ import annotations

from director.agent.state import DirectorState, ShotResult
from director.film import Brief, Finding, GenerationRequest, QCReport, Revision, Take
from director.ui.report import _lessons, experiment_table, summarise


def _take(shot: int, attempt: int, passed: bool, accepted: bool = False) -> Take:
    findings = [] if passed else [Finding(check="camera", message="reads as pan_right",
                                          variable="camera")]
    request = GenerationRequest(shot_index=shot, attempt=attempt, model="kling-v2-6-std",
                                provider="kling", prompt="p", duration_s=5, width=1280,
                                height=720)
    return Take(shot_index=shot, attempt=attempt, request=request, cost_usd=0.21,
                qc=QCReport(decodable=True, findings=findings), accepted=accepted)


CAMERA_FIX = Revision(shot_index=0, attempt=2, variable="camera", base_attempt=1,
                      before="Medium shot, slow pan left, 50mm lens.",
                      after="Medium shot, 50mm lens, slow pan left, scene sliding right.",
                      reason="camera: reads as pan_right, asked for pan_left",
                      qc_before=["camera"], qc_after=[], cost_usd=0.21, outcome="fixed")
SEED_MISS = Revision(shot_index=1, attempt=2, variable="seed", base_attempt=1, before="1",
                     after="2", reason="camera: reads as pan_right", qc_before=["camera"],
                     qc_after=["camera", "black"], cost_usd=0.21, outcome="worse")
RESULTS = [
    ShotResult(index=0, status="accepted", takes=[_take(0, 1, False), _take(0, 2, True, True)],
               revisions=[CAMERA_FIX]),
    ShotResult(index=1, status="failed", takes=[_take(1, 1, False), _take(1, 2, False)],
               revisions=[SEED_MISS], reason="2 take(s) failed"),
    ShotResult(index=2, status="accepted", takes=[_take(2, 1, True, True)]),
]


def test_experiment_table_shows_each_one_variable_experiment() -> None:
    html = experiment_table([CAMERA_FIX, SEED_MISS])
    assert html.count("<tr>") == 3
    assert "Medium shot, slow pan left, 50mm lens. → Medium shot, 50mm lens" in html
    assert "scene sliding right" in html and "<b>camera</b>" in html
    assert 'class="ok">fixed' in html and 'class="bad">worse' in html
    assert "camera, black" in html and "$0.21" in html
    assert experiment_table([]) == ""


def test_summary_counts_what_fixed_what_and_what_it_cost() -> None:
    s = summarise(RESULTS, spent_usd=1.05)
    assert (s.shots, s.accepted, s.first_pass, s.takes_accepted) == (3, 2, 1, 3)
    assert s.accepted_s == 10 and s.fixes == {("camera", "camera"): 1}
    assert s.tried == {"camera": 1, "seed": 1}
    state = DirectorState(brief=Brief(title="t", text="x"),
                          results={r.index: r for r in RESULTS})
    html = _lessons(state, 1.05)
    assert "1 of 3" in html and "1.50" in html and "$0.105" in html
    assert "<td>camera</td><td>camera</td><td>1</td>" in html
    assert "camera ×1, seed ×1" in html
