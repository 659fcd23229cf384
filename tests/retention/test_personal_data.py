"""Citizens' personal data: erased after its own shorter period; the request and its figures stay."""

from retention import workflow
from retention.models import DisposalRecord, RecordType
from services.models import ServiceRequest
from tests.retention.conftest import approved_run, closed_request


def test_personal_data_is_erased_from_the_request_and_its_history(
    rules, service, owner, quality_manager, second_manager
):
    request = closed_request(
        service, owner, days_ago=400, address="1 Jianshe Road", lat="22.5", long="113.1"
    )
    run = approved_run(quality_manager, second_manager, [RecordType.PERSONAL_DATA])
    workflow.run_execute(run=run, actor=quality_manager)
    request = ServiceRequest.objects.get(pk=request.pk)
    assert (
        request.citizen_name,
        request.citizen_email,
        request.citizen_phone,
        request.address,
    ) == ("", "", "", "")
    assert request.lat is None and request.status == "closed" and request.description
    assert not request.history.exclude(address="").exists()
    record = DisposalRecord.objects.get()
    assert record.action == "anonymise" and record.rule_years == 1
    assert "Secretname" not in record.reference + record.title


def test_erased_requests_are_not_due_again(rules, service, owner, quality_manager, second_manager):
    closed_request(service, owner, days_ago=400)
    run = approved_run(quality_manager, second_manager, [RecordType.PERSONAL_DATA])
    workflow.run_execute(run=run, actor=quality_manager)
    from retention.due import due_records

    assert not due_records(run.agency, RecordType.PERSONAL_DATA)[0].exists()
