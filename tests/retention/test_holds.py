"""Legal holds: a record (or a whole type) under a hold in force is never disposed of, even when
the hold is placed after the run was approved; a released hold protects no longer."""

import pytest

from retention import workflow
from retention.models import DisposalRecord, RecordType
from services.models import ServiceRequest
from tests.retention.conftest import approved_run, closed_request

OLD = 3 * 365 + 20


def test_a_hold_placed_before_the_proposal_keeps_the_record_off_the_list(
    rules, service, owner, quality_manager
):
    request = closed_request(service, owner, days_ago=OLD)
    workflow.hold_place(
        actor=quality_manager,
        record_type=RecordType.REQUESTS,
        record=str(request.pk),
        reason="Court case",
    )
    with pytest.raises(workflow.RetentionRuleError):
        workflow.run_propose(actor=quality_manager, record_types=[RecordType.REQUESTS])


def test_a_hold_placed_after_approval_still_protects_the_record(
    rules, service, owner, quality_manager, second_manager
):
    request = closed_request(service, owner, days_ago=OLD)
    run = approved_run(quality_manager, second_manager, [RecordType.REQUESTS])
    workflow.hold_place(
        actor=quality_manager,
        record_type=RecordType.REQUESTS,
        record="",
        reason="Audit by the ombudsman",
    )
    workflow.run_execute(run=run, actor=quality_manager)
    assert ServiceRequest.objects.filter(pk=request.pk).exists()
    candidate = run.candidates.get()
    assert candidate.outcome == "skipped" and "hold" in candidate.skip_reason
    assert not DisposalRecord.objects.exists()


def test_a_released_hold_no_longer_protects(rules, service, owner, quality_manager):
    request = closed_request(service, owner, days_ago=OLD)
    hold = workflow.hold_place(
        actor=quality_manager,
        record_type=RecordType.REQUESTS,
        record=str(request.pk),
        reason="Case",
    )
    workflow.hold_release(hold=hold, actor=quality_manager, reason="Case closed")
    run = workflow.run_propose(actor=quality_manager, record_types=[RecordType.REQUESTS])
    assert list(run.candidates.values_list("object_id", flat=True)) == [request.pk]
