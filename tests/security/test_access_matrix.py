"""Every URL of the project, requested by every kind of person, answers as the rule table says.

The URL list comes from the resolver, not from a hand-kept list: a new URL without a rule fails
``test_every_url_has_a_rule`` (a URL pattern without a name needs a rule in ``UNNAMED_RULES``).
Anonymous visitors sent away must land on the sign-in page with ``next``, and every HTML page
carries the Content-Security-Policy header. Objects belong to department A; ``colleague`` works there,
``outsider`` in department B of the same agency, ``stranger`` in another agency. The certifier has
department A and the effective document shared with them; ``unshared_certifier`` has nothing.
"""

from dataclasses import dataclass, field
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from documents import workflow as document_workflow
from processes.models import Measurement
from qms_portal.organisation.models import SealedChainHead
from services.models import Service
from tests.documents.conftest import draft_document, make_effective
from tests.processes.conftest import make_process

PERSONAS = [
    "anonymous",
    "colleague",
    "outsider",
    "auditor",
    "quality_manager",
    "certifier",
    "unshared_certifier",
    "stranger",
    "administrator",
]
STAFF = ["colleague", "outsider", "auditor", "quality_manager", "stranger", "administrator"]
SIGNED_IN = STAFF + ["certifier", "unshared_certifier"]


def everyone(code, anonymous=302):
    return {"anonymous": anonymous, **dict.fromkeys(SIGNED_IN, code)}


def post_only():
    """A POST-only view asked with GET: sign in first, then 405."""
    return everyone(405)


@dataclass
class Rule:
    expect: dict
    kwargs: object = None  # world -> dict
    query: str = ""
    extra: dict = field(default_factory=dict)
    url: object = None  # world -> path, for a pattern without a name (UNNAMED_RULES)


def agency_only(code=200, certifier=404, unshared=404, stranger=404, **overrides):
    return {
        "anonymous": 302,
        **dict.fromkeys(STAFF, code),
        "certifier": certifier,
        "unshared_certifier": unshared,
        "stranger": stranger,
        **overrides,
    }


RULES = {
    # Portal and organisation
    "home": Rule(everyone(200)),
    "healthz": Rule(everyone(200, anonymous=200)),
    "robots_txt": Rule(everyone(200, anonymous=200)),
    "login": Rule(everyone(302, anonymous=200)),
    "logout": Rule(everyone(405, anonymous=405)),
    "password_change": Rule(everyone(200)),
    "password_change_done": Rule(everyone(200)),
    "set_language": Rule(everyone(405, anonymous=405)),
    "organisation:departments": Rule(everyone(200)),
    "organisation:department": Rule(
        agency_only(certifier=200, stranger=404), lambda w: {"pk": w.department_a.pk}
    ),
    "organisation:people": Rule(everyone(200)),
    "organisation:notifications": Rule(everyone(200)),
    "organisation:notification_open": Rule(post_only(), lambda w: {"pk": w.notification.pk}),
    # Documents
    "documents:register": Rule(everyone(200)),
    "documents:create": Rule({**everyone(200), "certifier": 403, "unshared_certifier": 403}),
    "documents:detail": Rule(agency_only(certifier=200), lambda w: {"pk": w.effective.pk}),
    "documents:revision": Rule(
        agency_only(certifier=200),
        lambda w: {"pk": w.effective.pk, "revision_pk": w.effective_revision.pk},
    ),
    "documents:download": Rule(
        agency_only(certifier=200),
        lambda w: {"pk": w.effective.pk, "revision_pk": w.effective_revision.pk},
    ),
    "documents:revision_new": Rule(post_only(), lambda w: {"pk": w.effective.pk}),
    "documents:obsolete": Rule(post_only(), lambda w: {"pk": w.effective.pk}),
    "documents:periodic_review": Rule(post_only(), lambda w: {"pk": w.effective.pk}),
    **{
        f"documents:revision_{action}": Rule(
            post_only(), lambda w: {"pk": w.effective.pk, "revision_pk": w.effective_revision.pk}
        )
        for action in ["edit", "submit", "sign", "assign", "acknowledge"]
    },
    # Processes
    "processes:list": Rule(agency_only(certifier=200, unshared=200, stranger=200)),
    "processes:export": Rule(agency_only(certifier=200, unshared=200, stranger=200)),
    "processes:map": Rule(agency_only(certifier=200, unshared=200, stranger=200)),
    "processes:map_svg": Rule(agency_only(certifier=200, unshared=200, stranger=200)),
    "processes:risks": Rule(agency_only(certifier=200, unshared=200, stranger=200)),
    "processes:create": Rule(
        agency_only(
            403, quality_manager=200, administrator=403, certifier=403, unshared=403, stranger=403
        )
    ),
    # A certifier with department A shared reads its processes; editing is for owners and QMs.
    "processes:detail": Rule(agency_only(certifier=200), lambda w: {"pk": w.process.pk}),
    "processes:edit": Rule(
        agency_only(403, quality_manager=200, certifier=403), lambda w: {"pk": w.process.pk}
    ),
    "processes:interaction_add": Rule(
        agency_only(403, quality_manager=200, certifier=403), lambda w: {"pk": w.process.pk}
    ),
    "processes:interaction_remove": Rule(post_only(), lambda w: {"pk": w.interaction.pk}),
    "processes:kpi_create": Rule(
        agency_only(403, quality_manager=200, certifier=403), lambda w: {"pk": w.process.pk}
    ),
    "processes:kpi": Rule(agency_only(certifier=200), lambda w: {"pk": w.kpi.pk}),
    "processes:kpi_edit": Rule(
        agency_only(403, quality_manager=200, certifier=403), lambda w: {"pk": w.kpi.pk}
    ),
    "processes:measurement_create": Rule(
        agency_only(403, quality_manager=200, certifier=403), lambda w: {"pk": w.kpi.pk}
    ),
    "processes:measurement_correct": Rule(
        agency_only(403, quality_manager=200, certifier=403), lambda w: {"pk": w.measurement.pk}
    ),
    "processes:measurement_void": Rule(
        agency_only(403, quality_manager=200, certifier=403), lambda w: {"pk": w.measurement.pk}
    ),
    "processes:risk_create": Rule(
        agency_only(403, quality_manager=200, certifier=403), lambda w: {"pk": w.process.pk}
    ),
    # The risk page is read-only for readers; saving needs the owner or a QM (tested with POST below).
    "processes:risk_edit": Rule(agency_only(certifier=200), lambda w: {"pk": w.risk.pk}),
    # Citizen services: public pages and the Open311 API answer everyone; staff pages need staff.
    "services:catalogue": Rule(everyone(200, anonymous=200)),
    "services:service": Rule(everyone(200, anonymous=200), lambda w: {"code": w.service.code}),
    "services:track_lookup": Rule(everyone(200, anonymous=200)),
    "services:track": Rule(
        everyone(200, anonymous=200), lambda w: {"code": w.service_request.tracking_code}
    ),
    "services:rate": Rule(
        everyone(405, anonymous=405), lambda w: {"code": w.service_request.tracking_code}
    ),
    "services:queue": Rule({**everyone(200), "certifier": 403, "unshared_certifier": 403}),
    "services:request": Rule(agency_only(outsider=404), lambda w: {"pk": w.service_request.pk}),
    "services:request_action": Rule(
        post_only(), lambda w: {"pk": w.service_request.pk, "action": "acknowledge"}
    ),
    "services:request_transfer": Rule(post_only(), lambda w: {"pk": w.service_request.pk}),
    "services:request_assign": Rule(post_only(), lambda w: {"pk": w.service_request.pk}),
    "services:request_update": Rule(post_only(), lambda w: {"pk": w.service_request.pk}),
    "services:photo": Rule(
        agency_only(outsider=404), lambda w: {"pk": w.service_request.pk, "photo_pk": w.photo.pk}
    ),
    "services:statistics": Rule({**everyone(200), "certifier": 403, "unshared_certifier": 403}),
    "services:holidays": Rule({**everyone(403), "quality_manager": 200, "administrator": 200}),
    "services:holiday_delete": Rule(post_only(), lambda w: {"pk": w.holiday.pk}),
    "open311:discovery": Rule(everyone(200, anonymous=200), lambda w: {"fmt": "json"}),
    "open311:services": Rule(everyone(200, anonymous=200), lambda w: {"fmt": "xml"}),
    "open311:service": Rule(
        everyone(200, anonymous=200), lambda w: {"code": w.service.code, "fmt": "json"}
    ),
    "open311:requests": Rule(everyone(200, anonymous=200), lambda w: {"fmt": "json"}),
    "open311:request": Rule(
        everyone(200, anonymous=200), lambda w: {"pk": w.service_request.pk, "fmt": "xml"}
    ),
    "open311:token": Rule(
        everyone(404, anonymous=404), lambda w: {"token": "unknown-token", "fmt": "json"}
    ),
    # Audits: department A's audit, findings and actions for its staff, auditors and QMs;
    # certifiers see closed audits of shared departments only; reviews are for QMs and auditors.
    "auditing:programmes": Rule({**everyone(200), "certifier": 404, "unshared_certifier": 404}),
    "audits:dashboard": Rule({**everyone(403), "quality_manager": 200, "administrator": 200}),
    "auditing:programme_create": Rule({**everyone(403), "quality_manager": 200}),
    "auditing:programme": Rule(agency_only(), lambda w: {"pk": w.programme.pk}),
    "auditing:audit_create": Rule(
        agency_only(403, quality_manager=200), lambda w: {"pk": w.programme.pk}
    ),
    "auditing:audit_list": Rule(everyone(200)),
    "auditing:audit": Rule(agency_only(outsider=404), lambda w: {"pk": w.audit.pk}),
    "auditing:audit_pdf": Rule(agency_only(outsider=404), lambda w: {"pk": w.audit.pk}),
    **{
        f"auditing:{name}": Rule(post_only(), lambda w: {"pk": w.audit.pk})
        for name in [
            "audit_start",
            "audit_report",
            "audit_close",
            "audit_sign",
            "checklist_generate",
            "checklist_add",
        ]
    },
    "auditing:checklist_record": Rule(post_only(), lambda w: {"pk": w.checklist_item.pk}),
    "auditing:checklist_remove": Rule(post_only(), lambda w: {"pk": w.checklist_item.pk}),
    "auditing:evidence": Rule(agency_only(outsider=404), lambda w: {"pk": w.evidence.pk}),
    "capa:nc_list": Rule(everyone(200)),
    "capa:nc_create": Rule({**everyone(200), "certifier": 403, "unshared_certifier": 403}),
    "capa:nc": Rule(agency_only(outsider=404), lambda w: {"pk": w.nonconformity.pk}),
    "capa:nc_from_request": Rule(post_only(), lambda w: {"pk": w.service_request.pk}),
    "capa:nc_step": Rule(post_only(), lambda w: {"pk": w.nonconformity.pk, "step": "implement"}),
    "capa:action_list": Rule(everyone(200)),
    "capa:risk_action_create": Rule(post_only(), lambda w: {"pk": w.risk.pk}),
    "capa:action": Rule(agency_only(outsider=404), lambda w: {"pk": w.action.pk}),
    "review:review_list": Rule(everyone(200)),
    "review:review_create": Rule({**everyone(403), "quality_manager": 200}),
    "review:review": Rule(
        agency_only(404, auditor=200, quality_manager=200, administrator=200),
        lambda w: {"pk": w.review.pk},
    ),
    "review:review_pdf": Rule(
        agency_only(404, auditor=200, quality_manager=200, administrator=200),
        lambda w: {"pk": w.review.pk},
    ),
    # Self-assessment: agency-wide reading, QMs run it, responsible departments assess their
    # indicators; certifiers see none. The transparency page is public.
    "assessment:list": Rule({**everyone(200), "certifier": 404, "unshared_certifier": 404}),
    "assessment:trend": Rule({**everyone(200), "certifier": 404, "unshared_certifier": 404}),
    "assessment:indicators": Rule({**everyone(200), "certifier": 404, "unshared_certifier": 404}),
    "assessment:create": Rule({**everyone(403), "quality_manager": 200}),
    "assessment:publication": Rule({**everyone(403), "quality_manager": 200}),
    "assessment:indicator_edit": Rule(
        agency_only(403, quality_manager=200), lambda w: {"pk": w.indicator.pk}
    ),
    "assessment:detail": Rule(agency_only(), lambda w: {"pk": w.assessment.pk}),
    "assessment:chart": Rule(agency_only(), lambda w: {"pk": w.assessment.pk}),
    "assessment:step": Rule(post_only(), lambda w: {"pk": w.assessment.pk, "step": "submit"}),
    "assessment:result_edit": Rule(
        agency_only(403, colleague=200, quality_manager=200),
        lambda w: {"pk": w.assessment_result.pk},
    ),
    "transparency:index": Rule(everyone(200, anonymous=200)),
    "transparency:agency": Rule(
        everyone(200, anonymous=200), lambda w: {"code": w.department_a.agency.code}
    ),
    # The statement a published chain head seals: public, like the head (the pack's, here).
    "transparency:chain_head_statement": Rule(
        everyone(200, anonymous=200), lambda w: {"seal": w.pack_chain_head.seal}
    ),
    # Evidence packs: quality managers (and administrators, read-only) of the agency; a certifier
    # sees the packs shared with them (403 once expired or revoked, see tests/packs/).
    "packs:pack_list": Rule(
        {
            **everyone(403),
            "quality_manager": 200,
            "administrator": 200,
            "certifier": 200,
            "unshared_certifier": 200,
        }
    ),
    "packs:pack_create": Rule({**everyone(403), "quality_manager": 200}),
    "packs:pack": Rule(
        agency_only(404, quality_manager=200, administrator=200, certifier=200),
        lambda w: {"pk": w.pack.pk},
    ),
    "packs:pack_download": Rule(
        agency_only(404, quality_manager=200, administrator=200, certifier=200),
        lambda w: {"pk": w.pack.pk},
    ),
    "packs:pack_build": Rule(post_only(), lambda w: {"pk": w.pack.pk}),
    "packs:pack_share": Rule(post_only(), lambda w: {"pk": w.pack.pk}),
    "packs:pack_share_revoke": Rule(
        post_only(), lambda w: {"pk": w.pack.pk, "share_pk": w.pack_share.pk}
    ),
    # Retention: quality managers, auditors and administrators of the agency read; quality
    # managers and administrators change (tests/retention/ has the step rules).
    "retention:schedule": Rule(
        {**everyone(403), "auditor": 200, "quality_manager": 200, "administrator": 200}
    ),
    "retention:holds": Rule(
        {**everyone(403), "auditor": 200, "quality_manager": 200, "administrator": 200}
    ),
    "retention:runs": Rule(
        {**everyone(403), "auditor": 200, "quality_manager": 200, "administrator": 200}
    ),
    "retention:rule_edit": Rule(
        agency_only(404, auditor=403, quality_manager=200, administrator=200),
        lambda w: {"pk": w.retention_rule.pk},
    ),
    "retention:hold_release": Rule(post_only(), lambda w: {"pk": w.legal_hold.pk}),
    "retention:run": Rule(
        agency_only(404, auditor=200, quality_manager=200, administrator=200),
        lambda w: {"pk": w.disposal_run.pk},
    ),
    "retention:run_step": Rule(post_only(), lambda w: {"pk": w.disposal_run.pk, "step": "approve"}),
}

#: URL patterns without a name, by their full route: the resolver cannot reverse them, so each
#: rule says which path to request.
UNNAMED_RULES = {
    # Open311's catch-all: any other path under /open311/v2/ is a 404 in the API's own format.
    "open311/v2/^(?P<path>.*)$": Rule(
        everyone(404, anonymous=404), url=lambda w: "/open311/v2/no-such-resource.json"
    ),
}

#: The Django admin: signed-in people without staff status are sent to the admin sign-in.
ADMIN_RULE = {"anonymous": 302, **dict.fromkeys(SIGNED_IN, 302), "administrator": 200}


def url_names(patterns=None, namespace=""):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from url_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}"


def project_url_names():
    return sorted({name for name in url_names() if not name.startswith("admin:")})


def unnamed_routes(patterns=None, namespace="", prefix=""):
    """Full routes of the project's URL patterns that have no name (the admin's are its own)."""
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from unnamed_routes(pattern.url_patterns, inner, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern) and not pattern.name and namespace != "admin:":
            yield prefix + str(pattern.pattern)


def test_every_url_has_a_rule():
    missing = [name for name in project_url_names() if name not in RULES]
    assert missing == [], f"URLs without an access rule: {missing}"
    stale = [name for name in RULES if name not in project_url_names()]
    assert stale == [], f"rules for URLs that no longer exist: {stale}"


def test_every_url_without_a_name_has_a_rule():
    routes = set(unnamed_routes())
    missing = sorted(routes - set(UNNAMED_RULES))
    assert missing == [], f"URL patterns without a name need a rule in UNNAMED_RULES: {missing}"
    stale = sorted(set(UNNAMED_RULES) - routes)
    assert stale == [], f"UNNAMED_RULES for patterns that no longer exist: {stale}"


class World:
    pass


@pytest.fixture
def world(
    settings,
    tmp_path,
    owner,
    colleague,
    outsider,
    auditor,
    quality_manager,
    certifier,
    unshared_certifier,
    stranger,
    administrator,
    department_a,
    department_b,
):
    from qms_portal.organisation.models import Notification

    settings.MEDIA_ROOT = tmp_path / "media"
    w = World()
    w.people = {
        "colleague": colleague,
        "outsider": outsider,
        "auditor": auditor,
        "quality_manager": quality_manager,
        "certifier": certifier,
        "unshared_certifier": unshared_certifier,
        "stranger": stranger,
        "administrator": administrator,
    }
    w.department_a = department_a
    w.effective = draft_document(owner, department_a)
    w.effective_revision = make_effective(
        w.effective.revisions.get(), reviewer=colleague, approver=quality_manager
    )
    document_workflow.share_with_certifier(
        document=w.effective, certifier=certifier, actor=quality_manager
    )
    w.draft = draft_document(owner, department_a, title="Draft")
    w.process = make_process(code="CORE-01", owner=owner, department=department_a)
    other = make_process(code="SUP-01", owner=outsider, department=department_b)
    from processes.models import Interaction, Kpi, Risk

    w.interaction = Interaction.objects.create(source=w.process, target=other, output="Decisions")
    w.kpi = Kpi.objects.create(
        process=w.process,
        name="On-time decisions",
        unit="%",
        target=95,
        amber_threshold=90,
        red_threshold=80,
    )
    w.measurement = Measurement.objects.create(
        kpi=w.kpi, period=date(2026, 1, 1), value=97, recorded_by=owner
    )
    w.risk = Risk.objects.create(
        process=w.process,
        description="Backlog",
        likelihood=3,
        impact=3,
        owner=owner,
        review_date=date(2027, 1, 1),
    )
    w.notification = Notification.objects.create(recipient=owner, key="x", subject="x")
    for extend in WORLD_EXTENSIONS:
        extend(w)
    return w


def services_world(w):
    from services import intake
    from services import workflow as service_workflow
    from services.models import Holiday, ServiceRequest
    from tests.services.conftest import png

    w.service = Service.objects.create(
        agency=w.department_a.agency,
        code="FIN-REFUND",
        name_zh="退费",
        name_en="Refund of a fee",
        department=w.department_a,
        commitment_days=3,
    )
    submission = intake.clean_submission(
        questions=[], data={"description": "Paid twice", "email": "c@example.org"}, raw_answers={}
    )
    w.service_request = service_workflow.submit_request(
        service=w.service, submission=submission, channel=ServiceRequest.Channel.WEB, photos=[png()]
    )
    w.photo = w.service_request.photos.get()
    w.holiday = Holiday.objects.create(
        agency=w.department_a.agency, date=date(2026, 10, 1), name="National Day"
    )


def audits_world(w):
    from audits.auditing import workflow as audit_workflow
    from audits.auditing.models import Evidence
    from audits.capa import workflow as capa_workflow
    from audits.review import workflow as review_workflow
    from tests.audits.conftest import clauses, plan, raise_nc
    from tests.services.conftest import png

    qm, auditor, owner = w.people["quality_manager"], w.people["auditor"], w.process.owner
    w.programme = audit_workflow.programme_create(
        actor=qm, agency=w.department_a.agency, year=2026, title="Programme 2026"
    )
    w.audit = plan(
        w.programme,
        qm,
        department=w.department_a,
        lead=auditor,
        processes=[w.process],
        clauses=clauses("8.1"),
        auditees=[owner],
    )
    audit_workflow.audit_start(audit=w.audit, actor=auditor)
    w.checklist_item = w.audit.checklist.first()
    audit_workflow.checklist_record(
        item=w.checklist_item, actor=auditor, result="minor", evidence="Seen", upload=png()
    )
    w.evidence = Evidence.objects.get()
    w.nonconformity = raise_nc(qm, department=w.department_a, owner=owner)
    capa_workflow.nc_contain(nc=w.nonconformity, actor=owner, containment="Recalled")
    capa_workflow.nc_analyse(
        nc=w.nonconformity,
        actor=owner,
        method="five_whys",
        analysis={"whys": ["No check", "No checklist"]},
        root_cause="No check",
    )
    capa_workflow.nc_plan(
        nc=w.nonconformity,
        actor=owner,
        actions=[{"title": "Fix", "owner": owner, "due_date": date(2027, 1, 1)}],
    )
    w.action = w.nonconformity.actions.get()
    w.review = review_workflow.review_create(
        actor=qm,
        title="Review 2026",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
        meeting_date=date(2026, 12, 15),
        chair=qm,
    )


def assessment_world(w):
    """A draft self-assessment of department A's agency; G07 (budget) is Finance's (department A)."""
    from assessment import workflow as assessment_workflow

    qm = w.people["quality_manager"]
    w.assessment = assessment_workflow.assessment_create(
        actor=qm, agency=w.department_a.agency, year=2025, approver=qm
    )
    w.assessment_result = w.assessment.results.get(indicator__code="G07")
    w.indicator = w.assessment_result.indicator
    assessment_workflow.transparency_update(
        agency=w.department_a.agency,
        actor=qm,
        publish_self_assessment=True,
        statement_zh="质量方针",
        statement_en="Quality policy",
    )


def packs_world(w):
    """A built evidence pack of department A, shared with ``certifier`` (not the unshared one)."""
    from datetime import timedelta

    from django.utils import timezone

    from audits.packs import build as pack_build
    from audits.packs import workflow as pack_workflow

    qm = w.people["quality_manager"]
    w.pack = pack_workflow.pack_define(
        actor=qm,
        agency=w.department_a.agency,
        title="Certification 2026",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
        departments=[w.department_a],
        sections=["documents", "nonconformities"],
    )
    pack_build.run_build(w.pack.pk, w.pack.build_number, qm.pk)  # the outbox runs after commit
    w.pack.refresh_from_db()
    w.pack_chain_head = SealedChainHead.objects.get(key=f"pack:{w.pack.pk}")
    w.pack_share = pack_workflow.pack_share(
        pack=w.pack,
        actor=qm,
        certifier=w.people["certifier"],
        expires_on=timezone.localdate() + timedelta(days=30),
    )


#: Apps add their objects of department A here (packs…).
def retention_world(w):
    from django.utils import timezone

    from retention import workflow as retention_workflow
    from retention.models import DisposalRun

    agency = w.department_a.agency
    qm = w.people["quality_manager"]
    retention_workflow.seed_default_rules(agency)
    w.retention_rule = agency.retention_rules.first()
    w.legal_hold = retention_workflow.hold_place(
        actor=qm, record_type="audits", reason="Ombudsman review"
    )
    w.disposal_run = DisposalRun.objects.create(
        agency=agency, reference="DR-2026-001", due_on=timezone.localdate(), proposed_by=qm
    )


WORLD_EXTENSIONS = [services_world, audits_world, assessment_world, packs_world, retention_world]


def fetch(client, world, persona, url):
    client.logout()
    if persona != "anonymous":
        client.force_login(world.people[persona])
    return client.get(url)


def rule_url(world, name, rule):
    if rule.url:
        return rule.url(world)
    kwargs = rule.kwargs(world) if rule.kwargs else {}
    return reverse(name, kwargs=kwargs) + rule.query


def sent_to_sign_in(response, url, login_url=None):
    """The redirect goes to the sign-in page, with ``next`` bringing the visitor back to ``url``."""
    target = urlsplit(response.url)
    return target.path == (login_url or reverse("login")) and parse_qs(target.query).get(
        "next"
    ) == [url]


def answer_problems(response, url, persona):
    """What is wrong with an answer beyond its status code."""
    problems = []
    if persona == "anonymous" and response.status_code == 302:
        if not sent_to_sign_in(response, url):
            problems.append(f"redirects to {response.url}, not to the sign-in page with next")
    if response.status_code == 200 and response.get("Content-Type", "").startswith("text/html"):
        if "Content-Security-Policy" not in response:
            problems.append("an HTML page without a Content-Security-Policy header")
    return problems


@pytest.mark.django_db
def test_each_url_answers_each_persona_as_the_rules_say(client, world):
    wrong = []
    rules = [(name, RULES[name]) for name in project_url_names()]
    rules += sorted(UNNAMED_RULES.items())
    for name, rule in rules:
        url = rule_url(world, name, rule)
        for persona in PERSONAS:
            expected = rule.expect.get(persona)
            response = fetch(client, world, persona, url)
            got = response.status_code
            if got != expected:
                wrong.append(f"{name} as {persona}: expected {expected}, got {got}")
            wrong += [f"{name} as {persona}: {p}" for p in answer_problems(response, url, persona)]
    assert wrong == [], "\n".join(wrong)


@pytest.mark.django_db
def test_admin_is_for_administrators_only(client, world):
    names = [
        "admin:index",
        "admin:organisation_person_changelist",
        "admin:documents_document_changelist",
        "admin:processes_process_changelist",
    ]
    wrong = []
    for name in names:
        url = reverse(name)
        for persona in PERSONAS:
            response = fetch(client, world, persona, url)
            got = response.status_code
            if got != ADMIN_RULE[persona]:
                wrong.append(f"{name} as {persona}: expected {ADMIN_RULE[persona]}, got {got}")
            elif got == 302 and not sent_to_sign_in(response, url, reverse("admin:login")):
                wrong.append(f"{name} as {persona}: redirects to {response.url}, not admin sign-in")
    assert wrong == [], "\n".join(wrong)


#: What a POST (with an empty form) gets from people who may not change department A's objects.
#: Success (2xx, or a 302 back to the page) must never happen; 400 would mean the form was read first.
POST_OUTSIDERS = ["anonymous", "outsider", "stranger", "unshared_certifier", "certifier"]
PUBLIC_OR_OWN = {
    "login",
    "logout",
    "set_language",
    "services:rate",
    "organisation:notification_open",
    "documents:create",
    "processes:create",
    "services:holiday_delete",
    "password_change",
    "documents:revision_acknowledge",
}


#: URL namespaces of requests and of the audits apps' records (department-owned).
AUDIT_RECORDS = (
    "services:request_",
    "audits:",
    "auditing:",
    "capa:",
    "review:",
    "packs:",
    "retention:",
)


def post_expectation(name, persona):
    if persona == "anonymous":
        return {302}
    if name == "capa:nc_from_request":
        return {403}  # raising from a citizen request is for quality managers and auditors only
    if persona in {"stranger", "unshared_certifier"}:
        return {404}
    if name == "capa:risk_action_create" and persona in {"outsider", "certifier"}:
        return {403}  # they may read the risk, not treat it
    if name.startswith("packs:pack") and persona == "certifier":
        return {403}  # the pack is shared with them: they see it, but may not manage it
    if name == "auditing:audit_create" and persona == "outsider":
        return {403}  # the programme is agency-wide; planning is for quality managers
    if name.startswith(AUDIT_RECORDS) and persona in {"outsider", "certifier"}:
        return {
            404
        }  # requests and audit records of department A are not shown to other departments
    if persona == "certifier":
        return {403, 404}  # sees what is shared with them (403), nothing else (404)
    return {403}


@pytest.mark.django_db
def test_people_without_rights_cannot_change_department_a_objects(client, world):
    from qms_portal.organisation.models import Person

    wrong = []
    for name in project_url_names():
        rule = RULES[name]
        writes = rule.expect.get("colleague") == 405 or name.split(":")[-1].endswith(
            ("edit", "_create", "_add", "_correct")
        )
        if not writes or name in PUBLIC_OR_OWN or rule.kwargs is None:
            continue
        for persona in POST_OUTSIDERS:
            client.logout()
            if persona != "anonymous":
                client.force_login(Person.objects.get(pk=world.people[persona].pk))
            url = reverse(name, kwargs=rule.kwargs(world))
            response = client.post(url, {})
            got = response.status_code
            if got not in post_expectation(name, persona):
                wrong.append(
                    f"POST {name} as {persona}: expected {post_expectation(name, persona)}, got {got}"
                )
            elif persona == "anonymous" and not sent_to_sign_in(response, url):
                wrong.append(f"POST {name} as anonymous: redirects to {response.url}, not sign-in")
    assert wrong == [], "\n".join(wrong)
