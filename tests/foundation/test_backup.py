"""Backup and restore: every record and file comes back, checksums matching."""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command

from documents.models import Document, Revision, Signature
from qms_portal.backup import BackupError, create_backup, record_counts, restore_backup
from tests.documents.conftest import draft_document, make_effective

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(settings, tmp_path, owner, department_a, colleague, quality_manager, certifier):
    settings.MEDIA_ROOT = tmp_path / "media"
    document = draft_document(owner, department_a)
    make_effective(document.revisions.get(), reviewer=colleague, approver=quality_manager)
    draft_document(owner, department_a, title="Second")
    return tmp_path


def file_digests(media):
    return {
        p.relative_to(media).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in media.rglob("*")
        if p.is_file()
    }


def test_restore_into_an_empty_database_brings_back_every_record_and_file(world, settings):
    media = settings.MEDIA_ROOT
    counts, digests = record_counts(), file_digests(media)
    signature = Signature.objects.get(meaning="approved")
    created = dict(Document.objects.values_list("number", "created_at"))
    archive = create_backup(world / "backups")

    call_command("flush", interactive=False, verbosity=0)
    shutil.rmtree(media)
    assert Document.objects.count() == 0

    restore_backup(archive)
    assert record_counts() == counts
    assert file_digests(media) == digests
    restored = Signature.objects.select_related("revision__document").get(meaning="approved")
    assert restored.digest == signature.digest and restored.is_intact()
    revision = Revision.objects.filter(status="effective").get()
    assert hashlib.sha256(revision.file.read()).hexdigest() == revision.sha256
    assert revision.document.history.count() >= 2  # the audit trail comes back too
    assert (
        dict(Document.objects.values_list("number", "created_at")) == created
    )  # to the microsecond


def test_restore_refuses_a_database_that_is_not_empty(world):
    archive = create_backup(world / "backups")
    with pytest.raises(BackupError, match="not empty"):
        restore_backup(archive)


def test_a_damaged_backup_is_refused_before_anything_is_written(world):
    archive = create_backup(world / "backups")
    damaged = world / "damaged.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(damaged, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name.startswith("media/"):
                data += b"x"
                member.size = len(data)
            import io

            target.addfile(member, io.BytesIO(data))
    call_command("flush", interactive=False, verbosity=0)
    with pytest.raises(BackupError, match="damaged"):
        restore_backup(damaged)
    assert Document.objects.count() == 0


def _manage(*args, var_dir, cwd):
    """Run manage.py as ``make restore`` does: real settings, SQLite and media under ``var_dir``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "MEDIA_ROOT", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        QMS_VAR_DIR=str(var_dir),
        MEDIA_ROOT=str(var_dir / "media"),
        DJANGO_SETTINGS_MODULE="qms_portal.settings",
        SECRET_KEY="restore-test-" + "x" * 50,
    )
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_make_restore_into_a_freshly_migrated_database(world, settings):
    """`make restore` migrates first (groups and the clause catalogue appear), then restores."""
    counts, digests = record_counts(), file_digests(settings.MEDIA_ROOT)
    archive = create_backup(world / "backups")
    fresh = world / "fresh"
    project = Path(django_settings.BASE_DIR)

    migrated = _manage("migrate", "--noinput", "-v", "0", var_dir=fresh, cwd=project)
    assert migrated.returncode == 0, migrated.stderr
    restored = _manage("restore_portal", str(archive), var_dir=fresh, cwd=project)
    assert restored.returncode == 0, restored.stderr
    assert "counts and checksums match" in restored.stdout

    script = "import json; from qms_portal.backup import record_counts; print(json.dumps(record_counts()))"
    shown = _manage("shell", "-c", script, var_dir=fresh, cwd=project)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout.strip().splitlines()[-1]) == counts
    assert file_digests(fresh / "media") == digests
    assert (fresh / "qms.sqlite3").exists()  # the fresh database, not the test one
