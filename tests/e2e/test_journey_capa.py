"""Journey 3: an auditor records a major nonconformity, the responsible person takes it through
correction, root cause, action plan and the action, a quality manager verifies and closes it; the
quality dashboard counts it while it is open and awaiting verification."""

from datetime import timedelta

from django.utils import timezone

from audits.capa.models import Action, Nonconformity
from qms_portal.organisation.models import Department, Person

AUDITOR = "auditor.chen"
OWNER = "staff.wang"  # heads Finance
QUALITY_MANAGER = "qm.li"
TILES = ["open-ncs", "raised-ncs", "awaiting-verification"]


def dashboard_numbers(visitor, shot):
    page = visitor.go("/audits/dashboard/", shot=shot)
    return {tile: int(page.locator(f"#{tile} strong").inner_text()) for tile in TILES}


def step(visitor, name, fields, shot):
    """Fill one step form of the nonconformity page (``name`` is its URL slug) and send it."""
    form = visitor.page.locator(f"form[action$='/{name}/']")
    for field, value in fields.items():
        control = form.locator(f"[name={field}]")
        if control.evaluate("element => element.tagName") == "SELECT":
            control.select_option(value)
        else:
            control.fill(value)
    visitor.submit(form.locator("button[type=submit]"), shot=shot)


def test_major_nonconformity_is_corrected_verified_and_closed(portal, language, settings):
    settings.QMS_CAPA_VERIFICATION_WAIT_DAYS = 0  # verify effectiveness on the same day
    owner = Person.objects.get(username=OWNER)
    description = f"Cash count not signed on three days ({language})."

    quality_manager = portal.visit(QUALITY_MANAGER)
    quality_manager.switch_language(language)
    before = dashboard_numbers(quality_manager, "dashboard-before")

    auditor = portal.visit(AUDITOR)
    auditor.switch_language(language)
    page = auditor.go("/audits/nonconformities/new/", shot="raise")
    form = page.locator("main form")
    form.locator("#id_source").select_option(Nonconformity.Source.STAFF)
    form.locator("#id_description").fill(description)
    form.locator("#id_department").select_option(str(Department.objects.get(code="FIN").pk))
    form.locator("#id_severity").select_option(Nonconformity.Severity.MAJOR)
    form.locator("#id_owner").select_option(str(owner.pk))
    form.locator("#id_source_reference").fill("Internal audit walk-through, cash office")
    auditor.submit_with_keyboard(form, shot="raised")
    nc = Nonconformity.objects.get(description=description)
    assert nc.severity == Nonconformity.Severity.MAJOR
    assert nc.status == Nonconformity.Status.OPEN
    raised = dashboard_numbers(quality_manager, "dashboard-raised")
    assert raised["open-ncs"] == before["open-ncs"] + 1
    assert raised["raised-ncs"] == before["raised-ncs"] + 1

    responsible = portal.visit(OWNER)
    responsible.switch_language(language)
    responsible.go(nc.get_absolute_url(), shot="nc-open")
    step(responsible, "contain", {"containment": "Counted and signed the open days."}, "contained")
    step(
        responsible,
        "analyse",
        {
            "method": Nonconformity.RootCauseMethod.FIVE_WHYS,
            "why_1": "The second signer was absent.",
            "why_2": "No deputy is named for the cash count.",
            "root_cause": "The procedure names no deputy signer.",
        },
        "analysed",
    )
    due = (timezone.localdate() + timedelta(days=14)).isoformat()
    step(
        responsible,
        "plan",
        {"title_1": "Name a deputy signer", "owner_1": str(owner.pk), "due_1": due},
        "planned",
    )
    action = Action.objects.get(nonconformity=nc)
    responsible.go(action.get_absolute_url(), shot="action")
    done = responsible.page.locator("form:has(button[name=complete])")
    done.locator("textarea").fill("Deputy named in the procedure.")
    responsible.submit(done.locator("button[name=complete]"), shot="action-done")
    action.refresh_from_db()
    assert action.status == Action.Status.DONE
    responsible.go(nc.get_absolute_url())
    responsible.submit(
        responsible.page.locator("form[action$='/implement/'] button"), shot="implemented"
    )
    nc.refresh_from_db()
    assert nc.status == Nonconformity.Status.IMPLEMENTED
    implemented = dashboard_numbers(quality_manager, "dashboard-implemented")
    assert implemented["awaiting-verification"] == before["awaiting-verification"] + 1

    quality_manager.go(nc.get_absolute_url())
    step(
        quality_manager,
        "verify",
        {"effective": "yes", "notes": "Two weeks of counts, all signed."},
        "verified",
    )
    nc.refresh_from_db()
    assert nc.status == Nonconformity.Status.CLOSED
    after = dashboard_numbers(quality_manager, "dashboard-after")
    assert after == {**before, "raised-ncs": before["raised-ncs"] + 1}
    assert quality_manager.lang() == language
