"""Backup and restore: every record and file comes back, checksums matching."""

import hashlib
import shutil
import tarfile

import pytest
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
