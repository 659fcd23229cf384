"""The build as a task: stage and progress on a self-refreshing page, failures that say why and
can be retried, a time limit, no half-written file, a task delivered twice building once."""

from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from audits.packs import build as pack_build
from audits.packs import workflow
from audits.packs.models import EvidencePack
from qms_portal.organisation.models import OutboxTask
from tests.audits.packs.conftest import build_again, define, zip_path

pytestmark = pytest.mark.django_db


def pack_files():
    root = Path(settings.MEDIA_ROOT) / "evidence-packs"
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_defining_a_pack_queues_its_build_through_the_outbox(quality_manager, department_a):
    pack = define(quality_manager, departments=[department_a])
    entry = OutboxTask.objects.get(task_name="audits.packs.tasks.build_evidence_pack")
    assert entry.args == [pack.pk, 1, quality_manager.pk]
    assert pack.status == "queued"


def test_the_page_shows_stage_and_progress_and_refreshes_itself_while_building(
    client, quality_manager, department_a
):
    pack = define(quality_manager, departments=[department_a])
    assert workflow.claim_build(pack.pk, 1)
    workflow.report_progress(pack.pk, 1, "rendering", 50)
    client.force_login(quality_manager)
    page = client.get(reverse("packs:pack", args=[pack.pk])).content.decode()
    assert '<meta http-equiv="refresh" content="3">' in page
    assert "Rendering the PDF — 50 %" in page
    assert '<progress max="100" value="50">' in page
    assert "<script" not in page


def test_a_ready_page_does_not_refresh(client, pack, quality_manager):
    client.force_login(quality_manager)
    page = client.get(reverse("packs:pack", args=[pack.pk])).content.decode()
    assert 'http-equiv="refresh"' not in page
    assert pack.zip_sha256 in page and pack.manifest_sha256 in page


def test_a_task_delivered_twice_builds_once(pack, quality_manager):
    assert pack_build.run_build(pack.pk, pack.build_number, quality_manager.pk)["result"] == (
        "not claimed"
    )


def test_a_changed_file_fails_the_build_with_the_reason_and_a_retry_succeeds(
    client, pack, quality_manager, records, django_capture_on_commit_callbacks
):
    path = Path(records["revision"].file.path)
    original = path.read_bytes()
    old_zip = zip_path(pack).read_bytes()
    path.write_bytes(original + b"tampered")
    failed = build_again(pack, quality_manager, django_capture_on_commit_callbacks)
    assert failed.status == "failed"
    assert "no longer matches the SHA-256 recorded at upload" in failed.error
    assert pack_files() == [pack.zip_name]  # no partial file left behind
    assert zip_path(failed).read_bytes() == old_zip  # the last good ZIP untouched
    client.force_login(quality_manager)
    page = client.get(reverse("packs:pack", args=[pack.pk])).content.decode()
    assert "The build failed:" in page and "Retry the build" in page
    assert failed.history.first().history_change_reason == "build 2 failed"

    path.write_bytes(original)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("packs:pack_build", args=[pack.pk]))
    assert response.status_code == 302
    pack.refresh_from_db()
    assert pack.status == "ready" and pack.build_number == 3 and pack.error == ""
    assert EvidencePack.history.filter(id=pack.pk, history_change_reason="retry after failure")


def test_a_build_over_the_time_limit_fails_and_leaves_no_file(
    settings, quality_manager, department_a, records, django_capture_on_commit_callbacks
):
    settings.QMS_PACK_BUILD_SECONDS = 0
    with django_capture_on_commit_callbacks(execute=True):
        pack = define(quality_manager, departments=[department_a])
    pack.refresh_from_db()
    assert pack.status == "failed"
    assert "took longer than the time limit" in pack.error
    assert pack.zip_path == ""
    assert pack_files() == []


def test_a_soft_time_limit_from_celery_is_reported_as_a_failure(
    monkeypatch, quality_manager, department_a, records
):
    from celery.exceptions import SoftTimeLimitExceeded

    pack = define(quality_manager, departments=[department_a])

    def interrupted(self, partial):
        partial.write_bytes(b"half a zip")
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr("audits.packs.build.Builder._write", interrupted)
    result = pack_build.run_build(pack.pk, 1, quality_manager.pk)
    assert result["result"] == "failed"
    pack.refresh_from_db()
    assert pack.status == "failed" and "time limit" in pack.error
    assert pack_files() == []


def test_the_task_has_celery_time_limits():
    from audits.packs.tasks import build_evidence_pack

    assert build_evidence_pack.soft_time_limit == 900
    assert build_evidence_pack.time_limit > build_evidence_pack.soft_time_limit


def test_a_build_cannot_be_started_while_one_runs(quality_manager, department_a):
    pack = define(quality_manager, departments=[department_a])
    with pytest.raises(workflow.PackRuleError, match="being built"):
        workflow.pack_rebuild(pack=pack, actor=quality_manager)


def test_only_quality_managers_define_packs(owner, department_a):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        define(owner, departments=[department_a])


def test_the_form_defines_a_pack_with_clauses_4_to_10_by_default(
    client, quality_manager, department_a
):
    client.force_login(quality_manager)
    page = client.get(reverse("packs:pack_create")).content.decode()
    assert "Surveillance" not in page
    from processes.models import Clause

    response = client.post(
        reverse("packs:pack_create"),
        {
            "title": "Recertification",
            "departments": [department_a.pk],
            "period_start": "2026-01-01",
            "period_end": "2026-06-30",
            "clauses": [
                c.pk for c in Clause.objects.filter(number__in=["4", "5", "6", "7", "8", "9", "10"])
            ],
            "sections": ["documents", "audits"],
            "language": "en",
        },
    )
    pack = EvidencePack.objects.get()
    assert response.status_code == 302 and response["Location"] == pack.get_absolute_url()
    assert pack.sections == ["documents", "audits"]
    assert sorted(pack.clauses.values_list("number", flat=True), key=int) == [
        "4",
        "5",
        "6",
        "7",
        "8",
        "9",
        "10",
    ]
