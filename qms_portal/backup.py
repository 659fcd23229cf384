"""Backup and restore of the whole portal: database records and uploaded files, together.

A backup is one ``.tar.gz`` holding ``data.json`` (every record, as Django fixtures with natural
keys for content types and permissions, so it loads into SQLite or PostgreSQL alike), ``media/``
(the stored files) and ``manifest.json`` (record counts per model and the SHA-256 of every file and
of data.json). Restore checks the manifest before it writes anything, loads into an empty
database, puts the files back, and checks counts and checksums again.
"""

import hashlib
import io
import json
import tarfile
import tempfile
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

#: Rebuilt by migrate, or not worth keeping.
EXCLUDED = ["contenttypes", "auth.permission", "sessions", "admin.logentry"]

#: Reference data that ``migrate`` itself writes: the role groups (post_migrate) and the
#: ISO 9001 clause catalogue (processes 0002). A freshly migrated database holds these rows and
#: nothing else; restore replaces them with the backup's copy. (The self-assessment indicator
#: catalogue is loaded per agency, and a fresh database has no agency.)
REFERENCE_DATA = ["auth.Group", "processes.Clause"]


class BackupError(Exception):
    pass


def _sha256(data):
    return hashlib.sha256(data).hexdigest()


def _models():
    skipped_apps = {"contenttypes", "sessions"}
    skipped = {"auth.permission", "admin.logentry"}
    return [
        m
        for m in apps.get_models()
        if m._meta.app_label not in skipped_apps
        and m._meta.label_lower not in skipped
        and m._meta.managed
    ]


def record_counts():
    return {model._meta.label: model._default_manager.count() for model in _models()}


def _media_files():
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def create_backup(target_dir):
    """Write a backup archive into ``target_dir``; return its path."""
    target_dir = Path(target_dir)
    target_dir.mkdir(parents=True, exist_ok=True)
    data = io.StringIO()
    with transaction.atomic():  # one consistent snapshot of the records
        call_command(
            "dumpdata",
            exclude=EXCLUDED,
            natural_foreign=True,
            natural_primary=False,
            format="json-full",
            indent=None,
            stdout=data,
        )
        counts = record_counts()
    data_bytes = data.getvalue().encode()
    media_root = Path(settings.MEDIA_ROOT)
    files = {str(p.relative_to(media_root)): _sha256(p.read_bytes()) for p in _media_files()}
    manifest = {
        "created_at": timezone.now().isoformat(),
        "database_vendor": connection.vendor,
        "data_sha256": _sha256(data_bytes),
        "records": counts,
        "files": files,
    }
    path = target_dir / f"qms-backup-{timezone.now():%Y%m%d-%H%M%S}.tar.gz"
    partial = path.with_suffix(".partial")
    with tarfile.open(partial, "w:gz") as archive:
        _add_bytes(
            archive, "manifest.json", json.dumps(manifest, indent=2, sort_keys=True).encode()
        )
        _add_bytes(archive, "data.json", data_bytes)
        for name in files:
            archive.add(media_root / name, arcname=f"media/{name}")
    partial.rename(path)  # never a half-written backup under the final name
    return path


def _add_bytes(archive, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(timezone.now().timestamp())
    archive.addfile(info, io.BytesIO(data))


def _database_is_empty():
    """True when the database holds nothing but the reference data migrate wrote."""
    return not any(count for label, count in record_counts().items() if label not in REFERENCE_DATA)


def _clear_reference_data():
    """Remove the reference rows migrate wrote, so the backup's copy loads without key clashes.

    Raw deletes: no history rows for a removal nobody made (the clauses keep history), and no
    per-row delete of a clause its sub-clauses protect. Many-to-many rows (group permissions) go
    first; migrate wrote them too.
    """
    for label in REFERENCE_DATA:
        model = apps.get_model(label)
        for field in model._meta.local_many_to_many:
            field.remote_field.through._base_manager.all()._raw_delete(connection.alias)
        model._base_manager.all()._raw_delete(connection.alias)


def restore_backup(path):
    """Restore ``path`` into an empty database and media folder; return the manifest."""
    with tarfile.open(path, "r:gz") as archive:
        manifest = json.loads(archive.extractfile("manifest.json").read())
        data_bytes = archive.extractfile("data.json").read()
        if _sha256(data_bytes) != manifest["data_sha256"]:
            raise BackupError("data.json does not match the manifest: the backup is damaged.")
        files = {}
        for name, expected in manifest["files"].items():
            member = archive.extractfile(f"media/{name}")
            content = member.read() if member else b""
            if _sha256(content) != expected:
                raise BackupError(
                    f"media/{name} does not match the manifest: the backup is damaged."
                )
            files[name] = content
    if not _database_is_empty():
        raise BackupError(
            "The database is not empty. Restore into a freshly migrated, empty database."
        )
    media_root = Path(settings.MEDIA_ROOT).resolve()
    with tempfile.NamedTemporaryFile("wb", suffix=".json-full") as fixture, transaction.atomic():
        fixture.write(data_bytes)
        fixture.flush()
        _clear_reference_data()  # the backup holds its own groups and clause catalogue
        call_command("loaddata", fixture.name, verbosity=0)
        _reset_sequences()
        for name, content in files.items():
            destination = (media_root / name).resolve()
            if media_root not in destination.parents:
                raise BackupError(f"Refusing to write outside the media folder: {name}")
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(content)
    problems = verify_restore(manifest)
    if problems:
        raise BackupError("Restore finished but does not match the backup: " + "; ".join(problems))
    return manifest


def _reset_sequences():
    if connection.vendor != "postgresql":
        return
    from django.core.management.color import no_style

    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), _models()):
            cursor.execute(sql)


def verify_restore(manifest):
    problems = []
    counts = record_counts()
    for label, expected in manifest["records"].items():
        if counts.get(label) != expected:
            problems.append(f"{label}: {counts.get(label)} records, backup has {expected}")
    media_root = Path(settings.MEDIA_ROOT)
    for name, expected in manifest["files"].items():
        file = media_root / name
        if not file.exists() or _sha256(file.read_bytes()) != expected:
            problems.append(f"file {name} missing or changed")
    return problems
