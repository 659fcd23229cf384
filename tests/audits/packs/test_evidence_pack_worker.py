"""A real Celery worker, over Redis, builds a pack queued through the outbox into PostgreSQL.

Runs in the PostgreSQL + Redis pass only (marked ``services``)."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

from audits.packs.models import EvidencePack
from audits.packs.verify import verify_zip
from tests.audits.packs.conftest import define, zip_path
from tests.foundation.test_celery_worker import ROOT, database_url_of_test_database, wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def pack_worker():
    env = {
        **os.environ,
        "DATABASE_URL": database_url_of_test_database(),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    command = [sys.executable, "-m", "celery", "-A", "qms_portal", "worker", "--pool=solo"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    yield process
    process.terminate()
    try:
        output, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    print(output[-4000:])


def test_a_worker_builds_the_pack_queued_through_the_outbox(
    pack_worker, quality_manager, department_a, records
):
    pack = define(quality_manager, departments=[department_a])

    def ready():
        pack.refresh_from_db()
        return pack.status in ("ready", "failed")

    assert wait_for(ready, timeout=180)
    assert pack.status == EvidencePack.Status.READY, pack.error
    assert verify_zip(zip_path(pack)).ok
