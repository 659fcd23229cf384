"""Journey 1: a citizen asks for a service with a photo, follows it, and rates it once resolved."""

import re

from playwright.sync_api import expect

from qms_portal.organisation.models import Person
from services.models import ServiceRequest
from tests.e2e.conftest import png_photo

SERVICE = "AAS-CERT"  # Certificate of record, handled by Administrative Approval Services
HANDLER = "staff.huang"  # heads AAS


def test_citizen_request_is_tracked_resolved_and_rated(portal, language):
    citizen = portal.visit()
    page = citizen.go("/services/", shot="catalogue")
    citizen.switch_language(language)
    assert citizen.lang() == language
    portal.screenshot(page, "citizen-catalogue-switched")

    citizen.go(f"/services/s/{SERVICE}/", shot="service-page")
    form = page.locator("form.request-form")
    form.locator("#id_description").fill("Please issue a certificate of record. 请开具证明。")
    form.locator("#id_photos").set_input_files(
        files=[{"name": "counter.png", "mimeType": "image/png", "buffer": png_photo()}]
    )
    citizen.submit_with_keyboard(form, shot="request-sent")
    assert re.search(r"/services/track/[^/]+/\?new=1$", page.url)
    code = page.locator(".message .tracking-code").inner_text().strip()
    request = ServiceRequest.objects.get(tracking_code=code)
    assert request.photos.count() == 1
    assert request.status == ServiceRequest.Status.RECEIVED
    tracking_url = f"/services/track/{code}/"

    staff = portal.visit(HANDLER)
    staff.switch_language(language)
    staff.go(f"/services/queue/?q={code}", shot="queue")
    staff_page = staff.page
    staff.submit(staff_page.locator(f"a[href='/services/requests/{request.pk}/']"))
    expect(staff_page.locator("a[href*='/photos/']")).to_have_text("counter.png")
    portal.screenshot(staff_page, "staff-request")
    for action, status in [
        ("acknowledge", ServiceRequest.Status.ACKNOWLEDGED),
        ("start", ServiceRequest.Status.IN_PROGRESS),
        ("resolve", ServiceRequest.Status.RESOLVED),
    ]:
        step = staff_page.locator(f"form[action$='/do/{action}/']")
        step.locator("textarea, input[type=text]").first.fill(f"{action}: done at the counter")
        staff.submit(step.locator("button[type=submit]"), shot=f"request-{action}")
        request.refresh_from_db()
        assert request.status == status

    citizen.go(tracking_url, shot="tracking-resolved")
    expect(page.locator(".facts .badge.ok")).to_be_visible()
    rating = page.locator(f"form[action='{tracking_url}rate/']")
    rating.locator("input[name=score][value='5']").check()
    rating.locator("textarea[name=comment]").fill("Quick and friendly. 很好。")
    citizen.submit(rating.locator("button[type=submit]"), shot="rated")
    expect(page.locator(f"form[action='{tracking_url}rate/']")).to_have_count(0)
    request.refresh_from_db()
    assert request.rating == 5
    assert citizen.lang() == language

    # The handler's language is kept on their account: a new browser session starts in it.
    assert Person.objects.get(username=HANDLER).language == language
    assert portal.visit(HANDLER).lang() == language
