"""Backup and restore: every record and file comes back, exactly, checksums matching."""

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import threading
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection, connections, transaction

from documents.models import Document, Revision, Signature
from qms_portal.audit_trail import verify_chains
from qms_portal.backup import (
    BackupError,
    backed_up_models,
    create_backup,
    record_counts,
    restore_backup,
    verify_restore,
)
from qms_portal.organisation.models import Department
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


def test_restore_refuses_a_database_that_is_not_empty_and_writes_nothing(world, settings):
    archive = create_backup(world / "backups")
    counts, digests = table_digests(), file_digests(settings.MEDIA_ROOT)
    with pytest.raises(BackupError) as refused:
        restore_backup(archive)
    assert str(refused.value).startswith("The database is not empty: ")
    assert "organisation.Agency (1)" in str(refused.value)
    assert "nothing was restored" in str(refused.value)
    assert table_digests() == counts
    assert file_digests(settings.MEDIA_ROOT) == digests
    assert not list(Path(settings.MEDIA_ROOT).parent.glob(".qms-restore-*"))


def test_a_restore_that_does_not_match_the_backup_leaves_nothing(world, settings):
    """The check after loading fails (here: a count the manifest says differently): the records
    are rolled back and the files already moved into the media folder are removed again."""
    archive = create_backup(world / "backups")
    wrong = world / "wrong-count.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(wrong, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name == "manifest.json":
                manifest = json.loads(data)
                manifest["records"]["documents.Document"] += 1
                data = json.dumps(manifest).encode()
                member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    call_command("flush", interactive=False, verbosity=0)
    shutil.rmtree(settings.MEDIA_ROOT)
    with pytest.raises(BackupError, match="documents.Document: 2 records, backup has 3"):
        restore_backup(wrong)
    assert Document.objects.count() == 0 and Revision.objects.count() == 0
    assert file_digests(settings.MEDIA_ROOT) == {}


def test_a_damaged_backup_is_refused_before_anything_is_written(world):
    archive = create_backup(world / "backups")
    damaged = world / "damaged.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(damaged, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name.startswith("media/"):
                data += b"x"
                member.size = len(data)
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


def table_digests():
    """Rows and a digest of every value of every table a backup holds: equal digests mean every
    record, history row and link came back exactly. Link tables are compared without their own
    ids (a load renumbers them), and content types and permissions, which ``migrate`` numbers
    anew, by their natural keys (as the backup names them)."""
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    natural = {
        model: {row.pk: row.natural_key() for row in model.objects.all()}
        for model in (ContentType, Permission)
    }
    digests = {}
    for model in backed_up_models():
        fields = [
            field
            for field in model._meta.concrete_fields
            if not (model._meta.auto_created and field.primary_key)
        ]
        renamed = [natural.get(field.related_model) for field in fields]
        rows = sorted(
            json.dumps(
                [
                    key[value] if key and value else value
                    for key, value in zip(renamed, row, strict=True)
                ],
                default=str,
            )
            for row in model._base_manager.values_list(*(f.attname for f in fields))
        )
        digests[model._meta.label] = (
            len(rows),
            hashlib.sha256("\n".join(rows).encode()).hexdigest(),
        )
    return digests


def add_what_the_demo_leaves_out():
    """Records of the kinds ``seed_demo`` has none of: audit evidence and a citizen's photo
    (files), and many-to-many links of audit teams, pack departments and a person's own
    permissions (each adding a history row of its own)."""
    from django.contrib.auth.models import Permission

    from audits.auditing.models import Audit, ChecklistItem, Evidence
    from audits.packs.models import EvidencePack
    from qms_portal.organisation.models import Person
    from services.models import RequestPhoto, ServiceRequest
    from tests.services.conftest import PNG_BYTES

    person = Person.objects.get(username="auditor.chen")
    Audit.objects.first().team.add(person)
    EvidencePack.objects.first().departments.add(Department.objects.first())
    person.user_permissions.add(Permission.objects.get(codename="view_document"))
    note = b"%PDF-1.4 evidence seen on site"
    Evidence.objects.create(
        item=ChecklistItem.objects.first(),
        file=ContentFile(note, name="audit-evidence/site-visit.pdf"),
        original_filename="site-visit.pdf",
        file_kind="pdf",
        file_size=len(note),
        sha256=hashlib.sha256(note).hexdigest(),
        uploaded_by=person,
    )
    RequestPhoto.objects.create(
        request=ServiceRequest.objects.first(),
        storage_name="request-photos/pothole.png",
        file=ContentFile(PNG_BYTES, name="pothole.png"),
        original_filename="pothole.png",
        file_kind="png",
        file_size=len(PNG_BYTES),
        sha256=hashlib.sha256(PNG_BYTES).hexdigest(),
    )


def chain_problems():
    return [str(p) for _count, found in verify_chains().values() for p in found]


def test_a_backup_of_the_demo_agency_restores_exactly(settings, tmp_path):
    """Backup, restore into an empty database, verify: every table holds exactly what it held,
    history rows included (none added by the load), and the audit trail verifies.
    Runs in both CI passes: on SQLite and on PostgreSQL."""
    from processes.models import Measurement

    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("seed_demo", stdout=StringIO())
    add_what_the_demo_leaves_out()
    assert Measurement.all_records.filter(voided_at__isnull=False).exists()  # void ones too
    before, files = table_digests(), file_digests(settings.MEDIA_ROOT)
    assert chain_problems() == []
    archive = create_backup(tmp_path / "backups")

    call_command("flush", interactive=False, verbosity=0)
    shutil.rmtree(settings.MEDIA_ROOT)
    manifest = restore_backup(archive)

    after = table_digests()
    assert {label for label, (rows, _digest) in before.items() if rows} == {
        label for label, (rows, _digest) in after.items() if rows
    }
    assert after == before
    assert file_digests(settings.MEDIA_ROOT) == files
    assert verify_restore(manifest) == []
    assert chain_problems() == []  # what `manage.py verify_audit_trail` checks
    new = Department.objects.create(
        agency=Department.objects.first().agency, code="NEW", name="New"
    )
    assert new.pk > max(
        pk for pk in Department.objects.exclude(pk=new.pk).values_list("pk", flat=True)
    )


@pytest.mark.services
def test_a_backup_on_postgresql_is_one_snapshot(world, settings, agency):
    """Departments are added and committed all the while the backup reads: each table is still
    read as of one moment, so the counts match the rows and every history row's record is there.
    (At READ COMMITTED each table would be read at a later moment than the one before.)"""
    assert connection.vendor == "postgresql"
    stop, added = threading.Event(), []

    def keep_adding():
        try:
            while not stop.is_set():
                with transaction.atomic():  # a record and its history row, as the portal writes
                    department = Department.objects.create(
                        agency=agency, code=f"D{len(added)}", name="Busy"
                    )
                added.append(department.pk)
        finally:
            connections.close_all()

    writer = threading.Thread(target=keep_adding)
    writer.start()
    try:
        while len(added) < 5:  # the writer is running before the backup starts
            threading.Event().wait(0.01)
        before = len(added)
        archive = create_backup(world / "backups")
        during = len(added) - before
    finally:
        stop.set()
        writer.join(timeout=30)
    assert during > 10, "the writer must commit while the backup reads"
    with tarfile.open(archive) as opened:
        manifest = json.loads(opened.extractfile("manifest.json").read())
        rows = [json.loads(line) for line in opened.extractfile("data.jsonl")]
    in_backup = Counter(row["model"] for row in rows)
    for model in (Department, Department.history.model):
        label = model._meta.label
        assert in_backup[label.lower()] == manifest["records"][label], label
    departments = {row["pk"] for row in rows if row["model"] == "organisation.department"}
    created = {
        row["fields"]["id"]
        for row in rows
        if row["model"] == "organisation.historicaldepartment"
        and row["fields"]["history_type"] == "+"
    }
    assert created == departments


def _rewritten(archive, target, change_records):
    """A copy of ``archive`` whose data.jsonl lines went through ``change_records`` (and whose
    manifest names the new data's SHA-256, so only the records themselves are wrong)."""
    with tarfile.open(archive) as source:
        members = [(m, source.extractfile(m).read()) for m in source.getmembers()]
    data = dict((m.name, d) for m, d in members)["data.jsonl"]
    data = change_records(data.decode().splitlines(keepends=True)).encode()
    with tarfile.open(target, "w:gz") as out:
        for member, content in members:
            if member.name == "data.jsonl":
                content = data
            elif member.name == "manifest.json":
                manifest = json.loads(content)
                manifest["data_sha256"] = hashlib.sha256(data).hexdigest()
                content = json.dumps(manifest).encode()
            member.size = len(content)
            out.addfile(member, io.BytesIO(content))
    return target


def test_a_backup_from_a_newer_release_is_refused_with_a_message(world, settings):
    """Its records name a field this code does not know: the restore command says why and what
    to do, writes nothing, and shows no traceback."""
    from django.core.management.base import CommandError

    def with_an_unknown_field(lines):
        for number, line in enumerate(lines):
            record = json.loads(line)
            if record["model"] == "documents.document":
                record["fields"]["added_by_a_newer_release"] = "x"
                lines[number] = json.dumps(record) + "\n"
                break
        return "".join(lines)

    newer = _rewritten(
        create_backup(world / "backups"), world / "newer.tar.gz", with_an_unknown_field
    )
    call_command("flush", interactive=False, verbosity=0)
    shutil.rmtree(settings.MEDIA_ROOT)
    with pytest.raises(CommandError, match="do not fit this version of the portal") as refused:
        call_command("restore_portal", str(newer), stdout=StringIO())
    assert "restore it with the release that made it, or migrate" in str(refused.value)
    assert "added_by_a_newer_release" in str(refused.value)
    assert ".qms-restore-" not in str(refused.value)
    assert Document.objects.count() == 0 and Department.objects.count() == 0
    assert file_digests(settings.MEDIA_ROOT) == {}


def test_a_file_removed_while_the_backup_runs_fails_it_with_a_message(world, settings, monkeypatch):
    """A clean-up deletes a media file after the backup listed the folder: no traceback, no
    archive left behind, a message to run it again."""
    from django.core.management.base import CommandError

    from qms_portal import backup

    listed = backup._media_names

    def listed_then_one_removed(media_root):
        names = listed(media_root)
        (media_root / names[0]).unlink()  # what a concurrent clean-up does
        return names

    monkeypatch.setattr(backup, "_media_names", listed_then_one_removed)
    with pytest.raises(CommandError, match="was removed while the backup ran") as refused:
        call_command("backup_portal", "--to", str(world / "backups"), stdout=StringIO())
    assert "Run the backup again" in str(refused.value)
    assert not list((world / "backups").glob("*.tar.gz*"))
