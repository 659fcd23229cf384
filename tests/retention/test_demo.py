"""The demo shows retention at work: a schedule, a hold and a completed run with its record."""

from django.core.management import call_command

from retention.models import DisposalRecord, DisposalRun, LegalHold, RetentionRule


def test_demo_has_a_completed_disposal_run_with_a_disposal_record(db, capsys):
    call_command("seed_demo")
    assert RetentionRule.objects.count() == 6
    assert LegalHold.objects.in_force().count() == 1
    run = DisposalRun.objects.get()
    assert run.status == DisposalRun.Status.COMPLETED and run.approved_by != run.proposed_by
    assert DisposalRecord.objects.filter(run=run).count() >= 1
    call_command("seed_demo")  # idempotent
    assert DisposalRun.objects.count() == 1
    call_command("verify_audit_trail")
