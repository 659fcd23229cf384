"""A real Celery worker, over Redis, builds a pack queued through the outbox into PostgreSQL; a
worker killed mid-build (SIGKILL) loses its lease, the sweep queues the build again within the
stale threshold and a new worker finishes it, while the certifier keeps downloading the last
built ZIP.

Runs in the PostgreSQL + Redis pass only (marked ``services``)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from audits.packs import workflow
from audits.packs.models import EvidencePack, PackBuildLease
from audits.packs.verify import verify_zip
from tests.audits.packs.conftest import define, share, zip_bytes, zip_path
from tests.foundation.test_celery_worker import ROOT, database_url_of_test_database, wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

HEARTBEAT_SECONDS = 1
STALE_SECONDS = 4


@pytest.fixture
def start_worker():
    """Start ``celery worker`` processes on demand (heartbeat every second); all are stopped and
    their output printed at the end."""
    started = []

    def start():
        env = {
            **os.environ,
            "DATABASE_URL": database_url_of_test_database(),
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "QMS_PACK_HEARTBEAT_SECONDS": str(HEARTBEAT_SECONDS),
        }
        command = [sys.executable, "-m", "celery", "-A", "qms_portal", "worker", "--pool=solo"]
        command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()
        try:
            output, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        print(output[-4000:])


def finished(pack):
    def check():
        pack.refresh_from_db()
        return pack.status in ("ready", "failed")

    return check


def test_a_worker_builds_the_pack_queued_through_the_outbox(
    start_worker, quality_manager, department_a, records
):
    start_worker()
    pack = define(quality_manager, departments=[department_a])
    assert wait_for(finished(pack), timeout=180)
    assert pack.status == EvidencePack.Status.READY, pack.error
    assert verify_zip(zip_path(pack)).ok


def test_a_worker_killed_mid_build_is_replaced_and_the_previous_zip_stays_downloadable(
    start_worker, settings, client, quality_manager, certifier, department_a, records
):
    settings.QMS_PACK_LEASE_STALE_SECONDS = STALE_SECONDS  # the sweep runs in this process
    first = start_worker()
    pack = define(quality_manager, departments=[department_a])
    assert wait_for(finished(pack), timeout=180) and pack.status == "ready", pack.error
    share(pack, quality_manager, certifier)
    previous = zip_bytes(pack)

    # The rebuild's worker blocks reading a document file, as on a hung disk: the stored file is
    # replaced by a named pipe nobody writes to. Deterministic, and no hook in the build.
    stored = Path(records["revision"].file.path)
    original = stored.read_bytes()
    stored.unlink()
    os.mkfifo(stored)
    workflow.pack_rebuild(pack=pack, actor=quality_manager)

    def stuck_reading_files():
        pack.refresh_from_db()
        return pack.status == "building" and pack.stage == "files"

    assert wait_for(stuck_reading_files, timeout=120)
    assert pack.build_number == 2

    client.force_login(certifier)  # mid-build, the certifier still gets the last built ZIP
    response = client.get(reverse("packs:pack_download", args=[pack.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == previous
    assert (
        "Download the previous build (ZIP)" in client.get(pack.get_absolute_url()).content.decode()
    )

    time.sleep(STALE_SECONDS + 1)  # a long step: the heartbeat thread keeps the lease fresh
    assert workflow.recover_stale_builds() == {"requeued": 0, "failed": 0}

    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    killed_at = time.monotonic()
    stored.unlink()
    stored.write_bytes(original)

    assert wait_for(lambda: workflow.recover_stale_builds()["requeued"] == 1, timeout=30)
    detected_after = time.monotonic() - killed_at
    assert detected_after < STALE_SECONDS + HEARTBEAT_SECONDS + 3, detected_after
    pack.refresh_from_db()
    assert pack.status == "queued" and pack.build_number == 3
    assert PackBuildLease.objects.get(pack=pack).attempt == 2

    start_worker()
    assert wait_for(finished(pack), timeout=180)
    assert pack.status == EvidencePack.Status.READY, pack.error
    assert pack.build_number == 3 and verify_zip(zip_path(pack)).ok
    lease = PackBuildLease.objects.get(pack=pack)
    assert lease.build_number == 3 and not lease.worker.endswith(f":{first.pid}")
    response = client.get(reverse("packs:pack_download", args=[pack.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == zip_bytes(pack)
