"""Backup and restore of the whole portal: database records and uploaded files, together.

A backup is one ``.tar.gz`` holding ``data.jsonl`` (every record, void ones included, as Django
JSON Lines fixtures with natural keys for content types and permissions, so it loads into SQLite
or PostgreSQL alike), ``media/`` (the stored files) and, last, ``manifest.json`` (record counts
per table and the SHA-256 of data.jsonl and of every file).

It works at any size: records are read in one snapshot (on PostgreSQL one REPEATABLE READ,
READ ONLY transaction that also takes the counts) and streamed to a file on disk; files are
streamed into and out of the archive and hashed in chunks. Restore unpacks into a staging folder
while hashing, checks everything against the manifest before it writes anything, then loads the
records exactly as they were backed up (history recording off: no history row is made by the
load itself) and moves the files into place, all in one transaction that is rolled back, and the
files removed, unless every count and checksum matches.
"""

import hashlib
import io
import json
import shutil
import tarfile
import tempfile
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.management import call_command
from django.core.serializers.base import DeserializationError
from django.db import DatabaseError, connection, transaction
from django.test.utils import override_settings
from django.utils import timezone

#: Rebuilt by migrate, or not worth keeping.
SKIPPED_APPS = {"contenttypes", "sessions"}
SKIPPED_MODELS = {"auth.permission", "admin.logentry"}

#: Reference data that ``migrate`` itself writes: the role groups (post_migrate) and the
#: ISO 9001 clause catalogue (processes 0002). A freshly migrated database holds these rows and
#: nothing else; restore replaces them with the backup's copy. (The self-assessment indicator
#: catalogue is loaded per agency, and a fresh database has no agency.)
REFERENCE_DATA = ["auth.Group", "processes.Clause"]

DATA_MEMBER = "data.jsonl"
DATA_FORMAT = "jsonl-full"
#: Backups made before December 2026 hold one JSON document; they restore too.
LEGACY_DATA = {"data.json": "json-full"}
CHUNK = 1024 * 1024


class BackupError(Exception):
    pass


def backed_up_models():
    """Every table a backup holds, many-to-many link tables included."""
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label not in SKIPPED_APPS
        and model._meta.label_lower not in SKIPPED_MODELS
        and model._meta.managed
        and not model._meta.proxy
    ]


def record_counts():
    """Rows per table, void records included (a voidable model's default manager hides them)."""
    return {model._meta.label: model._base_manager.count() for model in backed_up_models()}


def _dumped_models():
    """The models whose rows are written, in an order that loads (natural keys first); link
    tables travel inside the rows of the model that declares them."""
    app_list = [
        (config, None)
        for config in apps.get_app_configs()
        if config.models_module is not None and config.label not in SKIPPED_APPS
    ]
    return [
        model
        for model in serializers.sort_dependencies(app_list, allow_cycles=True)
        if model._meta.label_lower not in SKIPPED_MODELS
        and model._meta.managed
        and not model._meta.proxy
    ]


def _sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class _HashingReader:
    """A file read in chunks (by tarfile) that hashes what passes through it."""

    def __init__(self, file):
        self.file, self.digest = file, hashlib.sha256()

    def read(self, size=-1):
        chunk = self.file.read(size)
        self.digest.update(chunk)
        return chunk


@contextmanager
def _one_snapshot():
    """One transaction in which every table is read as of the same moment.

    PostgreSQL's default READ COMMITTED gives each query a fresh snapshot, so a change committed
    while the backup runs would be in some tables and not others; REPEATABLE READ gives the whole
    transaction the snapshot of its first query. SQLite's transaction holds the database lock.
    """
    with transaction.atomic(durable=True):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def _write_records(destination):
    """Stream every record into ``destination`` (JSON Lines); return the rows written per model."""
    written = {}

    def rows():
        for model in _dumped_models():
            label = model._meta.label
            written[label] = 0
            queryset = model._base_manager.order_by(model._meta.pk.name)
            for row in queryset.iterator(chunk_size=2000):
                written[label] += 1
                yield row

    with open(destination, "w", encoding="utf-8") as stream:
        serializers.serialize(DATA_FORMAT, rows(), stream=stream, use_natural_foreign_keys=True)
    return written


def _add_file(archive, source, arcname):
    """Stream ``source`` into the archive as ``arcname``; return its SHA-256."""
    with open(source, "rb") as file:
        info = archive.gettarinfo(arcname=arcname, fileobj=file)
        reader = _HashingReader(file)
        archive.addfile(info, reader)
    return reader.digest.hexdigest()


def _add_media_file(archive, media_root, name):
    """Stream one media file into the archive; a file deleted since the folder was listed (a
    clean-up running meanwhile) fails the backup with a message, not a traceback."""
    try:
        return _add_file(archive, media_root / name, f"media/{name}")
    except FileNotFoundError as error:
        raise BackupError(
            f"The file media/{name} was removed while the backup ran; no backup was written. "
            "Run the backup again."
        ) from error


def _add_bytes(archive, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(timezone.now().timestamp())
    archive.addfile(info, io.BytesIO(data))


def _media_names(media_root):
    if not media_root.exists():
        return []
    return sorted(
        p.relative_to(media_root).as_posix() for p in media_root.rglob("*") if p.is_file()
    )


def create_backup(target_dir):
    """Write a backup archive into ``target_dir``; return its path."""
    from .audit_trail import seal_all

    target_dir = Path(target_dir)
    target_dir.mkdir(parents=True, exist_ok=True)
    media_root = Path(settings.MEDIA_ROOT)
    # Chain every history row first: an unsealed row carries a mark keyed with this server's
    # SECRET_KEY, which a restore on another server could not check.
    seal_all()
    path = target_dir / f"qms-backup-{timezone.now():%Y%m%d-%H%M%S}.tar.gz"
    partial = path.with_name(path.name + ".partial")
    try:
        with tempfile.TemporaryDirectory(prefix=".qms-backup-", dir=target_dir) as work:
            records = Path(work) / DATA_MEMBER
            with _one_snapshot(), tarfile.open(partial, "w:gz") as archive:
                written = _write_records(records)
                counts = record_counts()
                _check_written(written, counts)
                data_sha256 = _add_file(archive, records, DATA_MEMBER)
                # Files are read while the snapshot is held: none its records name is missing.
                files = {
                    name: _add_media_file(archive, media_root, name)
                    for name in _media_names(media_root)
                }
                manifest = {
                    "format": 2,
                    "created_at": timezone.now().isoformat(),
                    "database_vendor": connection.vendor,
                    "data": DATA_MEMBER,
                    "data_sha256": data_sha256,
                    "records": counts,
                    "files": files,
                }
                _add_bytes(
                    archive,
                    "manifest.json",
                    json.dumps(manifest, indent=2, sort_keys=True).encode(),
                )
        partial.rename(path)  # never a half-written backup under the final name
    finally:
        partial.unlink(missing_ok=True)
    return path


def _check_written(written, counts):
    """The rows written are the rows counted, table by table (one snapshot, or a broken backup)."""
    differing = [
        f"{label}: {rows} written, {counts[label]} counted"
        for label, rows in written.items()
        if rows != counts[label]
    ]
    if differing:
        raise BackupError("The records changed while they were read: " + "; ".join(differing))


def _reference_labels():
    """Reference data and its link tables (the role groups' permissions)."""
    labels = set(REFERENCE_DATA)
    for label in REFERENCE_DATA:
        for field in apps.get_model(label)._meta.local_many_to_many:
            labels.add(field.remote_field.through._meta.label)
    return labels


def _refuse_unless_empty():
    """Refuse to restore over records: the backup's own keys would clash or mix with them."""
    reference = _reference_labels()
    holding = [
        f"{label} ({count})"
        for label, count in record_counts().items()
        if count and label not in reference
    ]
    if holding:
        shown = ", ".join(holding[:5]) + (
            f" and {len(holding) - 5} more" if len(holding) > 5 else ""
        )
        raise BackupError(
            f"The database is not empty: {shown} hold records. Restore only into a freshly "
            "migrated, empty database (make restore migrates a new one); nothing was restored."
        )


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


def _media_name(member_name):
    """The media path of an archive member, refused if it could land outside the media folder."""
    name = PurePosixPath(member_name).relative_to("media")
    if not name.parts or name.is_absolute() or ".." in name.parts:
        raise BackupError(f"Refusing a file outside the media folder: {member_name}")
    return name.as_posix()


def _extract(archive, member, destination):
    """Stream one archive member to ``destination``; return its SHA-256."""
    if not member.isfile():
        raise BackupError(f"{member.name} is not a plain file: the backup is damaged.")
    destination.parent.mkdir(parents=True, exist_ok=True)
    reader = _HashingReader(archive.extractfile(member))
    with open(destination, "wb") as out:
        while chunk := reader.read(CHUNK):
            out.write(chunk)
    return reader.digest.hexdigest()


def _unpack(path, staging):
    """Unpack the archive into ``staging``, checking it against its manifest; return the
    manifest and the fixture file. Nothing outside ``staging`` is written."""
    manifest, data, data_sha256, files = None, None, None, {}
    with tarfile.open(path, "r|gz") as archive:  # one pass, member by member
        for member in archive:
            if member.name == "manifest.json":
                manifest = json.loads(archive.extractfile(member).read())
            elif member.name in (DATA_MEMBER, *LEGACY_DATA):
                fixture_format = LEGACY_DATA.get(member.name, DATA_FORMAT)
                data = staging / f"records.{fixture_format}"
                data_sha256 = _extract(archive, member, data)
            elif member.name.startswith("media/"):
                name = _media_name(member.name)
                files[name] = _extract(archive, member, staging / "media" / name)
            elif not member.isdir():
                raise BackupError(f"Unexpected {member.name} in the backup: it is not one of ours.")
    if manifest is None or data is None:
        raise BackupError("The backup has no manifest or no records: it is damaged or not ours.")
    if data_sha256 != manifest["data_sha256"]:
        raise BackupError("The records do not match the manifest: the backup is damaged.")
    for name in sorted(set(files) | set(manifest["files"])):
        if files.get(name) != manifest["files"].get(name):
            raise BackupError(f"media/{name} does not match the manifest: the backup is damaged.")
    return manifest, data


@contextmanager
def _history_recording_off():
    """No history row may be made by the load: the backup holds every one that was written.

    Raw saves skip simple-history's ``post_save``, but setting many-to-many fields sends
    ``m2m_changed``, whose history receivers would add a row per record (colliding with the
    backed-up rows' keys on PostgreSQL, counted twice on SQLite). Both read this setting.
    """
    with override_settings(SIMPLE_HISTORY_ENABLED=False):
        yield


def _refuse_existing_files(staged_media, media_root):
    clashing = [
        p.relative_to(staged_media).as_posix()
        for p in staged_media.rglob("*")
        if p.is_file() and (media_root / p.relative_to(staged_media)).exists()
    ]
    if clashing:
        raise BackupError(
            f"The media folder already holds {clashing[0]} (and {len(clashing) - 1} more of the "
            "backup's files): restore into an empty media folder; nothing was restored."
        )


def _move_files(staged_media, media_root, placed):
    """Move the checked files into the media folder, noting each in ``placed``."""
    for source in sorted(p for p in staged_media.rglob("*") if p.is_file()):
        destination = media_root / source.relative_to(staged_media)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(source, destination)
        placed.append(destination)


def restore_backup(path):
    """Restore ``path`` into an empty database and media folder; return the manifest.

    Either everything is restored, every count and checksum matching the backup, or nothing:
    the records are loaded in one transaction, and the files it moved are removed if it fails.
    """
    _refuse_unless_empty()  # before unpacking a large archive for nothing
    media_root = Path(settings.MEDIA_ROOT).resolve()
    media_root.mkdir(parents=True, exist_ok=True)
    # Staged beside the media folder, so the files move into it without being copied again.
    with tempfile.TemporaryDirectory(prefix=".qms-restore-", dir=media_root.parent) as staging:
        staging = Path(staging)
        manifest, data = _unpack(path, staging)
        staged_media = staging / "media"
        staged_media.mkdir(exist_ok=True)
        _refuse_existing_files(staged_media, media_root)
        placed = []
        try:
            with transaction.atomic(), _history_recording_off():
                _refuse_unless_empty()
                _clear_reference_data()  # the backup holds its own groups and clause catalogue
                _load_records(data)
                _reset_sequences()
                _move_files(staged_media, media_root, placed)
                problems = verify_restore(manifest)
                if problems:
                    raise BackupError(
                        "The restore does not match the backup, so nothing was restored: "
                        + "; ".join(problems)
                    )
        except BaseException:
            for file in placed:
                file.unlink(missing_ok=True)
            raise
    return manifest


def _load_records(data):
    """Load the backup's records; records this code cannot load (a field or table it does not
    know: a backup made by a newer release) fail the restore with a message."""
    try:
        call_command("loaddata", str(data), verbosity=0)
    except (DeserializationError, DatabaseError) as error:
        detail = str(error).split("': ", 1)[-1]  # without loaddata's staging-file prefix
        raise BackupError(
            f"The backup's records do not fit this version of the portal: {detail}; restore it "
            "with the release that made it, or migrate. Nothing was restored."
        ) from error


def _reset_sequences():
    """Point PostgreSQL's id sequences past the restored ids, so new records get fresh ones."""
    if connection.vendor != "postgresql":
        return
    from django.core.management.color import no_style

    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), backed_up_models()):
            cursor.execute(sql)


def verify_restore(manifest):
    """What differs between the database and media folder and the backup (empty: nothing)."""
    problems = []
    counts = record_counts()
    for label, expected in manifest["records"].items():
        if counts.get(label) != expected:
            problems.append(f"{label}: {counts.get(label)} records, backup has {expected}")
    media_root = Path(settings.MEDIA_ROOT)
    for name, expected in manifest["files"].items():
        file = media_root / name
        if not file.is_file() or _sha256_of(file) != expected:
            problems.append(f"file {name} missing or changed")
    return problems
