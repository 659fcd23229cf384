"""Demo retention: the default schedule, one legal hold and one completed disposal run (an old
citizen request, closed four years ago, deleted under the three-year rule), made through the
workflow itself."""

from datetime import timedelta

from django.utils import timezone

from qms_portal.organisation.management.commands.seed_demo import DEMO_PASSWORD

from . import workflow
from .models import DisposalRun, LegalHold, RecordType


def seed(*, agency, people, stdout):
    workflow.seed_default_rules(agency)
    if DisposalRun.objects.filter(agency=agency).exists():
        return
    manager, director = people["qm.li"], people["staff.sun"]
    if not LegalHold.objects.filter(agency=agency).exists():
        workflow.hold_place(
            actor=manager,
            record_type=RecordType.NONCONFORMITIES,
            reason="Complaint under review by the provincial ombudsman; keep every nonconformity.",
        )
    old = _old_closed_request(agency, people)
    if old is None:
        return
    run = workflow.run_propose(actor=manager, record_types=[RecordType.REQUESTS])
    workflow.run_approve(run=run, actor=director, password=DEMO_PASSWORD)
    workflow.run_execute(run=run, actor=manager)
    stdout.write(f"  retention: default schedule, 1 legal hold, disposal run {run.reference}")


def _old_closed_request(agency, people):
    from services import intake
    from services import workflow as services_workflow
    from services.models import Service, ServiceRequest

    service = Service.objects.filter(agency=agency, is_active=True).order_by("code").first()
    if service is None:
        return None
    questions = list(service.questions.all())
    submission = intake.clean_submission(
        questions=questions,
        data={"description": "Archived enquiry (demo)", "citizen_name": "Ms Lin"},
        raw_answers={q.code: ["1"] for q in questions if q.required},
    )
    long_ago = timezone.now() - timedelta(days=4 * 365 + 30)
    request = services_workflow.submit_request(
        service=service, submission=submission, channel=ServiceRequest.Channel.WEB, at=long_ago
    )
    handler = people["qm.li"]
    services_workflow.acknowledge(request_id=request.pk, actor=handler, at=long_ago)
    services_workflow.start_work(request_id=request.pk, actor=handler, at=long_ago)
    services_workflow.resolve(
        request_id=request.pk, actor=handler, note="Answered.", at=long_ago + timedelta(days=2)
    )
    services_workflow.close(request_id=request.pk, actor=handler, at=long_ago + timedelta(days=3))
    return request
