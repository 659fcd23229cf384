"""A build holds a lease renewed by its worker's heartbeat: the beat sweep queues a build whose
worker died again within the stale threshold (not after the 15-minute time limit), marks it failed
with the reason after the attempts are used, and the last built ZIP stays downloadable — labelled
as the previous build — while a newer build runs. (With a real worker killed mid-build:
``test_evidence_pack_worker.py``.)"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audits.packs import workflow
from audits.packs.models import EvidencePack, PackBuildLease
from qms_portal.organisation.models import OutboxTask
from tests.audits.packs.conftest import define, share, zip_bytes

pytestmark = pytest.mark.django_db

BUILD_TASK = "audits.packs.tasks.build_evidence_pack"


def test_claiming_a_build_takes_its_lease_for_the_worker(quality_manager, department_a):
    pack = define(quality_manager, departments=[department_a])
    assert workflow.claim_build(pack.pk, 1, "host-a:101")
    lease = PackBuildLease.objects.get(pack=pack)
    assert (lease.build_number, lease.attempt, lease.worker) == (1, 1, "host-a:101")
    assert lease.heartbeat_at is not None
    assert not workflow.claim_build(pack.pk, 1, "host-b:202")  # a second delivery: not claimed
    assert PackBuildLease.objects.get(pack=pack).worker == "host-a:101"


def test_a_build_whose_heartbeat_stopped_is_queued_again_within_the_stale_threshold(
    settings, quality_manager, department_a
):
    settings.QMS_PACK_LEASE_STALE_SECONDS = 90
    pack = define(quality_manager, departments=[department_a])
    assert workflow.claim_build(pack.pk, 1, "host-a:101")
    beat = PackBuildLease.objects.get(pack=pack).heartbeat_at
    assert workflow.recover_stale_builds(now=beat + timedelta(seconds=60)) == {
        "requeued": 0,
        "failed": 0,
    }
    # Two minutes without a heartbeat (the old rule waited for the 15-minute limit + 2 min).
    assert workflow.recover_stale_builds(now=beat + timedelta(seconds=120))["requeued"] == 1
    pack.refresh_from_db()
    assert pack.status == EvidencePack.Status.QUEUED and pack.build_number == 2
    lease = PackBuildLease.objects.get(pack=pack)
    assert (lease.build_number, lease.attempt, lease.worker) == (2, 2, "")
    assert [e.args[:2] for e in OutboxTask.objects.filter(task_name=BUILD_TASK)] == [
        [pack.pk, 1],
        [pack.pk, 2],
    ]
    assert pack.history.first().history_change_reason == "build 1 lost its worker; queued again"
    # The dead worker's lease is gone: were it only slow, its next heartbeat tells it to stop.
    assert not workflow.heartbeat(pack.pk, 1, "host-a:101")
    assert not workflow.claim_build(pack.pk, 1, "host-a:101")  # a late redelivery does nothing
    assert workflow.claim_build(pack.pk, 2, "host-b:202")


def test_the_heartbeat_keeps_a_long_build_from_looking_dead(
    settings, quality_manager, department_a
):
    settings.QMS_PACK_LEASE_STALE_SECONDS = 90
    pack = define(quality_manager, departments=[department_a])
    assert workflow.claim_build(pack.pk, 1, "host-a:101")
    PackBuildLease.objects.filter(pack=pack).update(
        heartbeat_at=timezone.now() - timedelta(seconds=300)
    )
    pack.refresh_from_db()
    assert workflow.is_stalled(pack)
    assert workflow.heartbeat(pack.pk, 1, "host-a:101")
    pack.refresh_from_db()
    assert not workflow.is_stalled(pack)
    assert workflow.recover_stale_builds() == {"requeued": 0, "failed": 0}


def test_after_the_last_attempt_the_build_is_marked_failed_with_the_reason_on_the_page(
    settings, client, quality_manager, department_a
):
    settings.QMS_PACK_BUILD_ATTEMPTS = 2
    pack = define(quality_manager, departments=[department_a])
    later = timezone.now() + timedelta(seconds=settings.QMS_PACK_LEASE_STALE_SECONDS + 1)
    assert workflow.claim_build(pack.pk, 1, "host-a:101")
    assert workflow.recover_stale_builds(now=later) == {"requeued": 1, "failed": 0}
    assert workflow.claim_build(pack.pk, 2, "host-b:202")
    assert workflow.recover_stale_builds(now=later) == {"requeued": 0, "failed": 1}
    pack.refresh_from_db()
    assert pack.status == EvidencePack.Status.FAILED
    assert "stopped without finishing 2 times" in pack.error
    assert OutboxTask.objects.filter(task_name=BUILD_TASK).count() == 2  # no third try queued
    client.force_login(quality_manager)
    page = client.get(pack.get_absolute_url()).content.decode()
    assert "The build failed:" in page and "stopped without finishing 2 times" in page
    assert 'data-step="retry"' in page


def test_a_person_restarting_a_stalled_build_starts_the_attempts_again(
    quality_manager, department_a
):
    pack = define(quality_manager, departments=[department_a])
    later = timezone.now() + timedelta(hours=1)
    assert workflow.claim_build(pack.pk, 1, "host-a:101")
    workflow.recover_stale_builds(now=later)
    assert workflow.claim_build(pack.pk, 2, "host-a:101")
    PackBuildLease.objects.filter(pack=pack).update(
        heartbeat_at=timezone.now() - timedelta(hours=1)
    )
    pack.refresh_from_db()
    workflow.pack_rebuild(pack=pack, actor=quality_manager)  # "restart", offered when stalled
    assert PackBuildLease.objects.get(pack=pack).attempt == 1


def rebuild_without_running(pack, quality_manager):
    """Queue a new build; its task stays in the outbox (nothing runs it in this test)."""
    workflow.pack_rebuild(pack=pack, actor=quality_manager)
    pack.refresh_from_db()
    return pack


def test_while_a_rebuild_runs_the_certifier_downloads_the_previous_build(
    client, pack, quality_manager, certifier
):
    share(pack, quality_manager, certifier)
    built = zip_bytes(pack)
    built_sha256, manifest_sha256 = pack.zip_sha256, pack.manifest_sha256
    rebuild_without_running(pack, quality_manager)
    assert workflow.claim_build(pack.pk, pack.build_number, "host-a:101")
    workflow.report_progress(pack.pk, pack.build_number, "rendering", 50, "host-a:101")
    client.force_login(certifier)
    response = client.get(reverse("packs:pack_download", args=[pack.pk]))
    assert response.status_code == 200  # was 409 "not built yet" for the whole rebuild
    assert b"".join(response.streaming_content) == built
    assert pack.downloads.get().zip_sha256 == built_sha256
    page = client.get(pack.get_absolute_url()).content.decode()
    assert "Rendering the PDF — 50 %" in page
    assert "Previous build" in page and "Download the previous build (ZIP)" in page
    assert built_sha256 in page and manifest_sha256 in page


def test_after_a_failed_rebuild_the_previous_build_stays_downloadable(
    client, pack, quality_manager, certifier
):
    share(pack, quality_manager, certifier)
    built = zip_bytes(pack)
    rebuild_without_running(pack, quality_manager)
    assert workflow.claim_build(pack.pk, pack.build_number, "host-a:101")
    workflow.build_failed(
        pack_id=pack.pk, build_number=pack.build_number, error="Disk full", actor=None
    )
    client.force_login(certifier)
    response = client.get(reverse("packs:pack_download", args=[pack.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == built
    page = client.get(pack.get_absolute_url()).content.decode()
    assert "The new build failed; this is the pack as last built." in page


def test_during_a_rebuild_only_a_share_in_force_gives_the_previous_build(
    client, pack, quality_manager, certifier, unshared_certifier, outsider
):
    given = share(pack, quality_manager, certifier)
    rebuild_without_running(pack, quality_manager)
    download = reverse("packs:pack_download", args=[pack.pk])
    for person, status in ((unshared_certifier, 404), (outsider, 404)):
        client.force_login(person)
        assert client.get(download).status_code == status
    workflow.share_revoke(share=given, actor=quality_manager)
    client.force_login(certifier)
    assert client.get(download).status_code == 403
    assert not pack.downloads.exists()


def test_a_first_build_still_running_has_nothing_to_download(client, quality_manager, department_a):
    pack = define(quality_manager, departments=[department_a])
    client.force_login(quality_manager)
    assert client.get(reverse("packs:pack_download", args=[pack.pk])).status_code == 409
    assert 'data-step="download"' not in client.get(pack.get_absolute_url()).content.decode()


def test_a_finished_rebuild_replaces_the_previous_files(
    pack, quality_manager, django_capture_on_commit_callbacks
):
    from tests.audits.packs.conftest import build_again, zip_path

    first = zip_path(pack)
    rebuilt = build_again(pack, quality_manager, django_capture_on_commit_callbacks)
    assert rebuilt.status == EvidencePack.Status.READY
    assert zip_path(rebuilt) != first and zip_path(rebuilt).exists()
    assert not first.exists() and not first.parent.exists()


def test_a_silent_worker_whose_build_was_marked_failed_stops_and_leaves_no_folder(
    settings, quality_manager, department_a, records
):
    """After the last attempt the sweep marks the build failed: the old worker, alive but silent
    (its heartbeat blocked), loses its lease, and when it finishes anyway nothing is recorded, it
    reports "superseded" (not "ready") and removes its own build folder."""
    from pathlib import Path

    from audits.packs import build as pack_build

    settings.QMS_PACK_BUILD_ATTEMPTS = 1
    pack = define(quality_manager, departments=[department_a])
    assert workflow.claim_build(pack.pk, 1, "host-a:101")
    later = timezone.now() + timedelta(seconds=settings.QMS_PACK_LEASE_STALE_SECONDS + 1)
    assert workflow.recover_stale_builds(now=later) == {"requeued": 0, "failed": 1}
    assert not workflow.heartbeat(pack.pk, 1, "host-a:101")
    assert not workflow.report_progress(pack.pk, 1, "packing", 90, "host-a:101")
    pack = EvidencePack.objects.select_related("agency", "defined_by").get(pk=pack.pk)
    outcome = pack_build._build_and_record(
        pack, 1, quality_manager, report=lambda stage, progress: None, lease_held=lambda: True
    )
    assert outcome["result"] == "superseded"
    assert not (Path(settings.MEDIA_ROOT) / "evidence-packs" / str(pack.pk) / "build-1").exists()
    pack.refresh_from_db()
    assert pack.status == EvidencePack.Status.FAILED and not pack.zip_path


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_reconnects_after_the_database_drops_its_connection(
    quality_manager, department_a
):
    """PostgreSQL restarted, failed over or killed the idle connection: the heartbeat thread
    closes its broken connection and the next beat renews the lease, so a live build never looks
    dead. (PostgreSQL + Redis pass only.)"""
    import time

    from django.db import connection

    from audits.packs.build import Heartbeat

    pack = define(quality_manager, departments=[department_a])
    assert workflow.claim_build(pack.pk, 1, "host-a:101")

    def beat_after(moment, seconds=10):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            at = PackBuildLease.objects.get(pack=pack).heartbeat_at
            if at > moment:
                return at
            time.sleep(0.1)
        raise AssertionError("the heartbeat did not renew the lease")

    beat = Heartbeat(pack.pk, 1, "host-a:101", interval=0.2)
    beat.start()
    try:
        first = beat_after(PackBuildLease.objects.get(pack=pack).heartbeat_at)
        with connection.cursor() as cursor:  # every other backend of this database: the thread's
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            assert cursor.fetchall(), "the heartbeat thread had no connection to terminate"
        time.sleep(0.5)  # at least one beat hits the dropped connection
        beat_after(max(first, timezone.now()))
        assert not beat.lost
    finally:
        beat.stop()


def test_a_download_whose_file_a_rebuild_removes_meanwhile_still_serves_the_checked_file(
    client, pack, quality_manager
):
    """The clean-up of a newer build removes the pack's folder just after the download checked the
    hash (here: while the download is recorded): the file checked is the one served, not a 500;
    once it is gone, a clear 409."""
    import shutil
    from pathlib import Path

    from django.conf import settings
    from django.db import connection

    built = zip_bytes(pack)
    folder = (Path(settings.MEDIA_ROOT) / pack.zip_path).parent

    def clean_up_when_the_download_is_recorded(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("INSERT") and "packdownload" in sql.lower():
            shutil.rmtree(folder, ignore_errors=True)
        return execute(sql, params, many, context)

    client.force_login(quality_manager)
    download = reverse("packs:pack_download", args=[pack.pk])
    with connection.execute_wrapper(clean_up_when_the_download_is_recorded):
        response = client.get(download)
    assert response.status_code == 200 and b"".join(response.streaming_content) == built
    assert not folder.exists()
    response = client.get(download)
    assert response.status_code == 409
    assert "no longer stored" in response.content.decode()
