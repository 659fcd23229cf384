"""The audit and programme pages offer exactly the steps the workflow accepts from this person.

For every persona and every state of an audit, the actions on the page (``data-step``) are
``workflow.available_steps(audit, person)`` and the table below; each offered step is accepted
when posted, and every step not offered is refused (4xx) without changing anything.
"""

import pytest
from django.urls import reverse

from audits.auditing import workflow
from audits.auditing.models import Evidence, ReportSignature
from tests.audits.conftest import plan, run_audit
from tests.conftest import PASSWORD, make_person
from tests.documents.conftest import pdf_upload
from tests.page_steps import (
    assert_accepted,
    assert_page_offers,
    assert_refused_unchanged,
    fixtures_by_name,
    shown_steps,
)

pytestmark = pytest.mark.django_db

PERSONAS = ["owner", "colleague", "outsider", "quality_manager", "auditor", "certifier"]
STATES = ["planned", "in_progress", "reporting", "signed", "closed"]
POSTED_STEPS = {
    "start",
    "generate_checklist",
    "add_item",
    "remove_item",
    "record_result",
    "attach_evidence",
    "report",
    "sign_as_lead_auditor",
    "sign_as_auditee",
    "close",
}
HIDDEN = None  # the person does not see the audit at all (404)
READ = {"download_report"}
KEEP_CHECKLIST = {"generate_checklist", "add_item"}

#: state → persona → the steps the page offers. The auditor leads the audit, the owner is the
#: named auditee (and heads department A); "signed" is reporting with both signatures given.
#: The quality manager is not on the audit team, so (independence) only reads.
EXPECTED = {
    "planned": {
        "owner": READ,
        "colleague": READ,
        "outsider": HIDDEN,
        "quality_manager": READ,
        "auditor": {"start", "remove_item", *KEEP_CHECKLIST, *READ},
        "certifier": HIDDEN,
    },
    "in_progress": {
        "owner": READ,
        "colleague": READ,
        "outsider": HIDDEN,
        "quality_manager": READ,
        "auditor": {"record_result", "attach_evidence", "report", *KEEP_CHECKLIST, *READ},
        "certifier": HIDDEN,
    },
    "reporting": {
        "owner": {"sign_as_auditee", *READ},
        "colleague": READ,
        "outsider": HIDDEN,
        "quality_manager": READ,
        "auditor": {"sign_as_lead_auditor", *READ},
        "certifier": HIDDEN,
    },
    "signed": {
        "owner": READ,
        "colleague": READ,
        "outsider": HIDDEN,
        "quality_manager": READ,
        "auditor": {"close", *READ},
        "certifier": HIDDEN,
    },
    "closed": {
        "owner": READ,
        "colleague": READ,
        "outsider": HIDDEN,
        "quality_manager": READ,
        "auditor": READ,
        "certifier": READ,
    },
}


def sign(audit, person, meaning):
    workflow.audit_sign(audit=audit, signer=person, password=PASSWORD, meaning=meaning)


def build(state, audit, w):
    """The audit fixture brought to ``state`` (planned: with one question added by hand)."""
    if state == "planned":
        workflow.checklist_add(audit=audit, actor=w.auditor, question="Who signs permits?")
        return audit
    run_audit(audit, w.auditor)
    if state != "in_progress":
        workflow.audit_report(audit=audit, actor=w.auditor, summary="Conforming overall.")
    if state in ("signed", "closed"):
        sign(audit, w.auditor, ReportSignature.Meaning.LEAD_AUDITOR)
        sign(audit, w.owner, ReportSignature.Meaning.AUDITEE)
    if state == "closed":
        workflow.audit_close(audit=audit, actor=w.auditor)
    audit.refresh_from_db()
    return audit


@pytest.fixture
def world(request):
    """The personas by name (``world.auditor``…)."""
    return fixtures_by_name(request, PERSONAS)


def step_request(step, audit):
    """The URL and data that take ``step`` (valid data: only the rule can refuse)."""
    item = audit.checklist.order_by("position", "pk").first()
    on_audit, on_item = [audit.pk], [item.pk]
    result = {"result": "conforming", "evidence": "Seen", "reason": "Seen again on site"}
    return {
        "start": ("auditing:audit_start", on_audit, {}),
        "generate_checklist": ("auditing:checklist_generate", on_audit, {}),
        "add_item": ("auditing:checklist_add", on_audit, {"question": "Is it filed?"}),
        "remove_item": ("auditing:checklist_remove", on_item, {}),
        "record_result": ("auditing:checklist_record", on_item, result),
        "attach_evidence": (
            "auditing:checklist_record",
            on_item,
            {**result, "attachment": pdf_upload("interview.pdf")},
        ),
        "report": ("auditing:audit_report", on_audit, {"summary": "Conforming overall."}),
        "sign_as_lead_auditor": (
            "auditing:audit_sign",
            on_audit,
            {"meaning": "lead_auditor", "password": PASSWORD},
        ),
        "sign_as_auditee": (
            "auditing:audit_sign",
            on_audit,
            {"meaning": "auditee", "password": PASSWORD},
        ),
        "close": ("auditing:audit_close", on_audit, {}),
    }[step]


def snapshot(audit):
    """Everything a step could change on the audit."""
    audit.refresh_from_db()
    return (
        audit.status,
        audit.summary,
        audit.actual_start,
        audit.actual_end,
        sorted(audit.checklist.values_list("pk", "question", "result", "evidence")),
        ReportSignature.objects.filter(audit=audit).count(),
        Evidence.objects.filter(item__audit=audit).count(),
    )


def post_step(client, step, audit):
    name, args, data = step_request(step, audit)
    return client.post(reverse(name, args=args), data)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("persona", PERSONAS)
def test_the_audit_page_offers_exactly_the_steps_the_workflow_accepts(
    state, persona, world, audit, client
):
    w = world
    audit = build(state, audit, w)
    person = getattr(w, persona)
    expected = EXPECTED[state][persona]
    assert_page_offers(
        client,
        person,
        audit.get_absolute_url(),
        expected,
        lambda: workflow.available_steps(audit, person),
    )
    if expected is HIDDEN:
        assert client.get(reverse("auditing:audit_pdf", args=[audit.pk])).status_code == 404

    def post(step):
        return post_step(client, step, audit)

    assert_refused_unchanged(post, POSTED_STEPS - (expected or set()), lambda: snapshot(audit))
    assert_accepted(post, (expected or set()) & POSTED_STEPS)


def test_the_head_of_the_audited_department_signs_for_the_auditee(
    programme, quality_manager, auditor, agency, department_a, section_a, client
):
    """Not named as auditee: heading the department (or the one a section belongs to) is enough;
    the same rule as everywhere else (``roles.is_head_of``)."""
    head = make_person("head", agency=agency, departments=[department_a], head=True)
    section_audit = plan(programme, quality_manager, department=section_a, lead=auditor)
    run_audit(section_audit, auditor)
    workflow.audit_report(audit=section_audit, actor=auditor, summary="Fine.")
    section_audit.refresh_from_db()
    assert "sign_as_auditee" in workflow.available_steps(section_audit, head)
    client.force_login(head)
    response = client.post(
        reverse("auditing:audit_sign", args=[section_audit.pk]),
        {"meaning": "auditee", "password": PASSWORD},
    )
    assert response.status_code == 302
    assert section_audit.signatures.get().signer == head


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_programme_page_offers_planning_to_quality_managers_only(
    persona, world, programme, client
):
    person = getattr(world, persona)
    client.force_login(person)
    response = client.get(programme.get_absolute_url())
    if persona == "certifier":
        assert response.status_code == 404
        expected = set()
    else:
        assert response.status_code == 200
        expected = {"plan_audit"} if persona == "quality_manager" else set()
        shown = shown_steps(response.content.decode())
        assert shown == set(workflow.programme_steps(programme, person)) == expected
    if not expected:
        response = client.get(reverse("auditing:audit_create", args=[programme.pk]))
        assert 400 <= response.status_code < 500
        response = client.post(reverse("auditing:audit_create", args=[programme.pk]), {})
        assert 400 <= response.status_code < 500
        assert not programme.audits.exists()
