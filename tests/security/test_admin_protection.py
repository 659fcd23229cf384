"""Records change only through the workflow: in the admin, signed, closed, effective and recorded
records are read-only and nobody deletes them, status fields are never typed in, and a cascade
from a department, person, process or KPI cannot take a protected record with it (issue 14)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib import admin
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from audits.capa import workflow as capa_workflow
from audits.capa.models import Action, Nonconformity
from audits.review import workflow as review_workflow
from audits.review.models import ManagementReview
from processes import periods
from processes import workflow as process_workflow
from processes.models import Kpi, Measurement, Process
from qms_portal import protection
from qms_portal.disposal import authorised_disposal
from qms_portal.organisation.admin import ReadOnlyAdmin, WorkflowRecordAdmin
from tests.audits.conftest import nc_to_implemented, raise_nc
from tests.conftest import PASSWORD, make_person
from tests.processes.conftest import make_process

pytestmark = pytest.mark.django_db

#: Registered models that are reference data or machinery, not workflow records, and why. A
#: cascade from them into a protected record is still refused (see the cascade tests below).
REFERENCE_DATA = {
    "auth.Group": "roles; who may do what, managed by administrators",
    "organisation.Agency": "the organisation itself",
    "organisation.Department": "the organisation chart",
    "organisation.Person": "accounts; people leave, their records stay (PROTECT)",
    "organisation.Membership": "who works where",
    "organisation.Notification": "messages to people, not quality records",
    "documents.NumberingScheme": "configuration of document numbers",
    "processes.Clause": "the ISO 9001 clause catalogue",
    "processes.Process": "process definitions, changed by their owners (history kept)",
    "processes.ProcessInput": "part of a process definition",
    "processes.ProcessOutput": "part of a process definition",
    "processes.Interaction": "part of the process map",
    "processes.Kpi": "indicator definitions; their measurements are protected",
    "auditing.AuditProgramme": "the yearly plan; its audits are protected",
    "assessment.Indicator": "the indicator catalogue",
    "assessment.TransparencySettings": "what an agency publishes",
    "services.Service": "the service catalogue",
    "services.Holiday": "the calendar of working days",
    "services.ApiKey": "Open311 client keys, switched off rather than edited",
}


@pytest.fixture
def superuser(agency):
    return make_person("root", agency=agency, is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def url(obj, view):
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=[obj.pk])


def changelist(model):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def history_count(obj):
    return type(obj).history.filter(pk=obj.pk).count() if hasattr(type(obj), "history") else 0


def assert_admin_cannot_touch(client, obj, field, value):
    """Through the real admin: the change form, the delete page, "delete selected" and a
    history revert all leave the record and its history as they were."""
    model = type(obj)
    manager = getattr(model, "all_records", model._default_manager)
    before = manager.filter(pk=obj.pk).values().get()
    history = history_count(obj)
    assert client.get(url(obj, "change")).status_code == 200  # still shown, read-only
    assert client.post(url(obj, "change"), {field: value}).status_code == 403
    assert client.post(url(obj, "delete"), {"post": "yes"}).status_code == 403
    selected = client.post(
        changelist(model),
        {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
    )
    assert selected.status_code in (200, 403)  # 200: the page naming what it cannot delete
    version = model.history.filter(pk=obj.pk).order_by("history_id").first()
    if version is not None:
        revert = reverse(
            f"admin:{model._meta.app_label}_{model._meta.model_name}_simple_history",
            args=[obj.pk, version.history_id],
        )
        assert client.post(revert, {}).status_code == 403
    assert manager.filter(pk=obj.pk).values().get() == before
    assert history_count(obj) == history


# --- Every admin model -------------------------------------------------------------------------


def test_every_admin_model_is_reference_data_or_protected():
    """A new admin registration fails here until it says which records it protects, or is listed
    as reference data with a reason."""
    unaccounted = []
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label
        if label in REFERENCE_DATA:
            continue
        inspect_only = isinstance(model_admin, ReadOnlyAdmin)
        guarded = isinstance(model_admin, WorkflowRecordAdmin) and protection.declares_protection(
            model
        )
        if not (inspect_only or guarded):
            unaccounted.append(label)
    assert unaccounted == []


def test_every_workflow_model_has_its_delete_guard():
    """The model-level backstop: each model that declares protection refuses a protected
    deletion outside the admin too (queryset delete, cascade)."""
    from django.db.models.signals import pre_delete

    for model in admin.site._registry:
        if protection.declares_protection(model):
            assert pre_delete.has_listeners(model), model._meta.label


def test_status_fields_are_never_editable_even_before_a_record_is_protected(
    admin_client, quality_manager, owner, department_a
):
    nc = raise_nc(quality_manager, department=department_a, owner=owner)
    form = admin_client.get(url(nc, "change")).content.decode()
    assert 'name="status"' not in form and 'name="verified_by"' not in form
    assert 'name="description"' in form  # an open nonconformity's text is still editable


# --- The attacks of issue 14 -------------------------------------------------------------------


def test_an_open_nonconformity_cannot_be_closed_in_the_admin_without_a_verifier(
    admin_client, quality_manager, owner, colleague, department_a
):
    nc = raise_nc(quality_manager, department=department_a, owner=owner)
    capa_workflow.nc_contain(nc=nc, actor=owner, containment="Recalled the permits.")
    history = history_count(nc)
    data = {
        "reference": nc.reference,
        "source": nc.source,
        "description": nc.description,
        "department": nc.department_id,
        "severity": nc.severity,
        "owner": nc.owner_id,
        "raised_by": nc.raised_by_id,
        "raised_at_0": nc.raised_at.date().isoformat(),
        "raised_at_1": "10:00:00",
        "round": 1,
        "status": "closed",
        "closed_at_0": timezone.localdate().isoformat(),
        "closed_at_1": "10:00:00",
        "root_cause_analysis": "{}",
    }
    admin_client.post(url(nc, "change"), data)
    nc.refresh_from_db()
    assert nc.status == Nonconformity.Status.CONTAINED and nc.closed_at is None
    assert history_count(nc) <= history + 1  # at most the permitted text fields were saved


@pytest.fixture
def closed_nc(quality_manager, owner, colleague, department_a):
    nc = nc_to_implemented(
        raise_nc(quality_manager, department=department_a, owner=owner), owner, colleague
    )
    Nonconformity.objects.filter(pk=nc.pk).update(verification_due=None)  # history-exempt: test
    capa_workflow.nc_verify(
        nc=Nonconformity.objects.get(pk=nc.pk),
        actor=quality_manager,
        effective=True,
        notes="No unsigned permit in the next month.",
    )
    nc.refresh_from_db()
    assert nc.status == Nonconformity.Status.CLOSED
    return nc


def test_a_closed_nonconformity_and_its_actions_cannot_be_edited_or_deleted(
    admin_client, closed_nc
):
    assert_admin_cannot_touch(admin_client, closed_nc, "description", "Rewritten")
    for action in closed_nc.actions.all():
        assert_admin_cannot_touch(admin_client, action, "title", "Rewritten")
    with pytest.raises(protection.RecordIsProtected), transaction.atomic():
        Nonconformity.objects.filter(pk=closed_nc.pk).delete()  # history-exempt: the attack
    assert Action.objects.filter(nonconformity=closed_nc).exists()


def test_a_signed_management_reviews_decisions_cannot_be_edited(
    admin_client, quality_manager, owner, colleague
):
    year = timezone.localdate().year
    review = review_workflow.review_create(
        actor=quality_manager,
        title="Management review",
        period_start=date(year, 1, 1),
        period_end=date(year, 12, 31),
        meeting_date=timezone.localdate(),
        chair=owner,
        attendees=[colleague],
    )
    review_workflow.review_record(
        review=review, actor=owner, discussion="KPIs", decisions="Add a second counter."
    )
    review_workflow.review_sign(review=review, signer=owner, password=PASSWORD)
    review = ManagementReview.objects.get(pk=review.pk)
    assert_admin_cannot_touch(admin_client, review, "decisions", "Close the counter.")
    assert ManagementReview.objects.get(pk=review.pk).decisions == "Add a second counter."


@pytest.fixture
def process(owner, department_a):
    return make_process(code="CORE-01", owner=owner, department=department_a)


@pytest.fixture
def measurement(process, owner):
    kpi = Kpi.objects.create(
        process=process,
        name="On-time decisions",
        target=Decimal("95"),
        amber_threshold=Decimal("90"),
        red_threshold=Decimal("80"),
    )
    period = periods.last_completed_period(timezone.localdate(), "monthly")
    return process_workflow.measurement_record(
        kpi=kpi, period=period, value=Decimal(91), actor=owner
    )


def test_a_kpi_measurement_cannot_be_edited_or_deleted_in_the_admin(admin_client, measurement):
    assert_admin_cannot_touch(admin_client, measurement, "value", "99")
    with pytest.raises(protection.RecordIsProtected), transaction.atomic():
        Measurement.objects.filter(pk=measurement.pk).delete()  # history-exempt: the attack
    assert Measurement.objects.filter(pk=measurement.pk).exists()


def test_no_cascade_from_a_kpi_or_process_takes_a_measurement_with_it(admin_client, measurement):
    kpi, process = measurement.kpi, measurement.kpi.process
    for parent in (kpi, process):
        assert admin_client.post(url(parent, "delete"), {"post": "yes"}).status_code == 403
        selected = admin_client.post(
            changelist(type(parent)),
            {"action": "delete_selected", "_selected_action": [parent.pk], "post": "yes"},
        )
        assert selected.status_code in (200, 403)
    with pytest.raises(protection.RecordIsProtected), transaction.atomic():
        Process.objects.filter(pk=process.pk).delete()  # history-exempt: the attack
    assert (
        Kpi.objects.filter(pk=kpi.pk).exists()
        and Measurement.objects.filter(pk=measurement.pk).exists()
    )


def test_a_person_whose_acknowledgements_are_recorded_cannot_be_deleted_with_them(
    admin_client, agency, department_a, quality_manager, settings, tmp_path, owner, colleague
):
    from documents.models import Acknowledgement
    from tests.documents.conftest import draft_document, make_effective

    settings.MEDIA_ROOT = tmp_path / "media"
    revision = draft_document(owner, department_a).revisions.get()
    make_effective(revision, reviewer=colleague, approver=quality_manager)
    reader = make_person("reader", agency=agency)
    acknowledgement = Acknowledgement.objects.create(
        revision=revision,
        person=reader,
        assigned_by=quality_manager,
        acknowledged_at=timezone.now(),
    )
    assert admin_client.post(url(reader, "delete"), {"post": "yes"}).status_code == 403
    assert Acknowledgement.objects.filter(pk=acknowledgement.pk).exists()
    assert_admin_cannot_touch(admin_client, revision.document, "title", "Renamed")


def test_an_approved_retention_disposal_run_may_delete_a_protected_record(measurement):
    with authorised_disposal(object()), transaction.atomic():
        Measurement.all_records.filter(pk=measurement.pk).delete()  # history-exempt: disposal
    assert not Measurement.all_records.filter(pk=measurement.pk).exists()


def test_an_unprotected_record_may_still_be_deleted(admin_client, owner, process):
    risk = process_workflow.risk_create(
        process=process,
        actor=owner,
        fields={
            "description": "Entered by mistake",
            "likelihood": 1,
            "impact": 1,
            "owner": owner,
            "review_date": timezone.localdate() + timedelta(days=30),
        },
    )
    assert admin_client.post(url(risk, "delete"), {"post": "yes"}).status_code == 302
    assert not type(risk).objects.filter(pk=risk.pk).exists()
