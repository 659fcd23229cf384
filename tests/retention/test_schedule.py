"""The schedule: a rule per record type, and which records each rule makes due."""

from datetime import timedelta

from django.utils import timezone

from audits.capa.models import Nonconformity
from retention.due import due_records
from retention.models import RecordType
from tests.retention.conftest import closed_request, obsolete_document


def ids(agency, code, **kwargs):
    return set(due_records(agency, code, **kwargs)[0].values_list("pk", flat=True))


def test_every_record_type_gets_a_default_rule(agency, rules):
    assert {code: rule.years for code, rule in rules.items()} == {
        "documents": 10,
        "audits": 6,
        "nonconformities": 6,
        "reviews": 10,
        "requests": 3,
        "personal_data": 1,
    }


def test_a_request_is_due_three_years_after_it_was_closed(agency, rules, service, owner):
    old = closed_request(service, owner, days_ago=3 * 365 + 5)
    recent = closed_request(service, owner, days_ago=2 * 365)
    assert ids(agency, RecordType.REQUESTS) == {old.pk}
    assert recent.pk in ids(
        agency, RecordType.REQUESTS, today=timezone.localdate() + timedelta(days=366)
    )


def test_personal_data_has_its_own_shorter_period(agency, rules, service, owner):
    request = closed_request(service, owner, days_ago=400)
    assert ids(agency, RecordType.PERSONAL_DATA) == {request.pk}
    assert ids(agency, RecordType.REQUESTS) == set()


def test_an_open_request_is_never_due(agency, rules, service, owner):
    request = closed_request(service, owner, days_ago=2000)
    from services.workflow import reopen  # noqa: F401 - a closed request stays closed

    assert request.pk in ids(agency, RecordType.REQUESTS)
    later = timezone.localdate() + timedelta(days=365 * 50)
    assert ids(agency, RecordType.NONCONFORMITIES, today=later) == set()


def test_an_obsolete_document_is_due_ten_years_after_it_was_withdrawn(
    agency, rules, owner, department_a, colleague, quality_manager
):
    document = obsolete_document(
        owner, department_a, reviewer=colleague, approver=quality_manager, retention_years=None
    )
    today = timezone.localdate()
    assert document.pk not in ids(
        agency, RecordType.DOCUMENTS, today=today.replace(year=today.year + 9)
    )
    assert document.pk in ids(
        agency, RecordType.DOCUMENTS, today=today.replace(year=today.year + 10)
    )


def test_the_document_s_own_retention_period_overrides_the_rule(
    agency, rules, owner, department_a, colleague, quality_manager
):
    document = obsolete_document(
        owner, department_a, reviewer=colleague, approver=quality_manager, retention_years=30
    )
    today = timezone.localdate()
    assert document.pk not in ids(
        agency, RecordType.DOCUMENTS, today=today.replace(year=today.year + 20)
    )
    assert document.pk in ids(
        agency, RecordType.DOCUMENTS, today=today.replace(year=today.year + 30)
    )


def test_a_document_in_force_is_never_due(agency, rules, owner, department_a):
    from tests.documents.conftest import draft_document

    draft_document(owner, department_a, retention_years=0)
    assert ids(agency, RecordType.DOCUMENTS, today=timezone.localdate().replace(year=2200)) == set()


def test_closed_nonconformities_are_due_six_years_after_closure(
    agency, rules, quality_manager, department_a
):
    nc = Nonconformity.objects.create(
        agency=agency,
        reference="NC-2019-001",
        source=Nonconformity.Source.STAFF,
        description="Late payment",
        department=department_a,
        owner=quality_manager,
        raised_by=quality_manager,
        status=Nonconformity.Status.CLOSED,
        raised_at=timezone.now() - timedelta(days=2600),
        closed_at=timezone.now() - timedelta(days=6 * 365 + 10),
    )
    assert ids(agency, RecordType.NONCONFORMITIES) == {nc.pk}
