"""SHA-256 of stored files, streamed (``hashlib.file_digest``): uploads, downloads, packs, backups."""

import hashlib
from pathlib import Path


def sha256_of_file(source):
    """Hex SHA-256 of a path, an open binary file, or a Django ``FieldFile``, read in chunks."""
    if isinstance(source, (str, Path)):
        with open(source, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    if hasattr(source, "open") and hasattr(source, "storage"):  # a FieldFile
        with source.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    if hasattr(source, "seek"):
        source.seek(0)
    digest = hashlib.file_digest(source, "sha256").hexdigest()
    if hasattr(source, "seek"):
        source.seek(0)
    return digest


def sha256_of_bytes(data):
    """Hex SHA-256 of bytes in memory."""
    return hashlib.sha256(data).hexdigest()
