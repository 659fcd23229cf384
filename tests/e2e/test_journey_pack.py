"""Journey 4: a quality manager builds an evidence pack, follows its progress and shares it; the
certifier downloads it and `verify_pack` accepts the ZIP; after the expiry date the certifier is
refused."""

from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from audits.packs import build as pack_build
from audits.packs.models import EvidencePack, PackDownload, PackShare
from qms_portal.celery import app
from qms_portal.organisation.models import Department, Person

QUALITY_MANAGER = "qm.li"
CERTIFIER = "certifier.smith"


def test_pack_is_built_shared_downloaded_verified_and_expires(portal, language, tmp_path):
    certifier_person = Person.objects.get(username=CERTIFIER)
    permits = Department.objects.get(code="AAS")
    title = f"Surveillance audit ({language})"

    quality_manager = portal.visit(QUALITY_MANAGER)
    quality_manager.switch_language(language)
    page = quality_manager.go("/audits/packs/new/", shot="new-pack")
    form = page.locator("main form")
    form.locator("input[name=title]").fill(title)
    form.locator(f"input[name=departments][value='{permits.pk}']").check()
    # The build is queued for a worker (the broker holds it); the page shows stage and progress.
    app.conf.task_always_eager = False
    try:
        quality_manager.submit_with_keyboard(form, shot="pack-queued")
    finally:
        app.conf.task_always_eager = True
    pack = EvidencePack.objects.get(title=title)
    assert page.locator("progress").get_attribute("value") == "0"
    assert page.locator("meta[http-equiv=refresh]").count() == 1
    qm_id = Person.objects.get(username=QUALITY_MANAGER).pk
    pack_build.run_build(pack.pk, pack.build_number, qm_id)  # what the worker runs
    quality_manager.go(pack.get_absolute_url(), shot="pack-built")
    pack.refresh_from_db()
    assert pack.status == EvidencePack.Status.READY, pack.error
    assert page.locator("meta[http-equiv=refresh]").count() == 0

    share = page.locator("form[action$='/share/']")
    share.locator("select[name=certifier]").select_option(str(certifier_person.pk))
    share.locator("input[name=expires_on]").fill(
        (timezone.localdate() + timedelta(days=14)).isoformat()
    )
    quality_manager.submit(share.locator("button[type=submit]"), shot="pack-shared")
    assert PackShare.objects.filter(pack=pack, certifier=certifier_person, revoked_at=None).exists()

    certifier = portal.visit(CERTIFIER)
    certifier.switch_language(language)
    page = certifier.go("/audits/packs/", shot="certifier-packs")
    page.get_by_role("link", name=pack.reference).click()
    certifier.arrived(shot="certifier-pack")
    with page.expect_download() as download:
        page.locator(f"a[href$='/audits/packs/{pack.pk}/download/']").click()
    archive = tmp_path / f"pack-{language}.zip"
    download.value.save_as(archive)
    out = StringIO()
    call_command("verify_pack", str(archive), stdout=out)
    assert out.getvalue().startswith("OK:"), out.getvalue()
    assert PackDownload.objects.filter(pack=pack, person=certifier_person).count() == 1

    # The share runs out: the certifier is refused from then on.
    PackShare.objects.filter(pack=pack).update(expires_at=timezone.now() - timedelta(minutes=1))
    response = page.goto(portal_url(certifier, f"/audits/packs/{pack.pk}/download/"))
    assert response.status == 403
    certifier.portal.screenshot(page, "certifier-refused-after-expiry")
    quality_manager.go(pack.get_absolute_url(), shot="download-log")
    assert certifier_person.display_name in quality_manager.page.locator("main").inner_text()


def portal_url(visitor, path):
    return visitor.portal.url + path
