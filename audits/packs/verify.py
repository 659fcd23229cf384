"""Checking a downloaded pack ZIP against its own manifest, without the portal's database.

What is checked, and what each hash covers:

* every file listed in ``manifest.json`` is present with the listed SHA-256 (``missing``,
  ``changed``); any other file except the manifest, the report and ``SHA256SUMS`` is ``extra``;
* the report PDF prints the SHA-256 of ``manifest.json``; it must equal the manifest's actual
  hash (``manifest hash mismatch``);
* ``SHA256SUMS`` lists the manifest and the report (and the document files again, so
  ``sha256sum -c SHA256SUMS`` works on its own); every line must match.

Nothing inside the ZIP signs the report PDF: ``SHA256SUMS`` can be regenerated after the PDF is
swapped. So where the portal recorded the pack (next to its database, or hashes copied from the
pack's page), :func:`compare_with_record` also compares the ZIP's, the PDF's and the manifest's
SHA-256 with the recorded ones.
"""

import io
import json
import re
import zipfile
from dataclasses import dataclass, field

from qms_portal.digests import sha256_of_bytes as sha256

MANIFEST = "manifest.json"
CHECKSUMS = "SHA256SUMS"
PRINTED = re.compile(r"manifest\.jsonSHA-256:?([0-9a-f]{64})")


@dataclass
class Verification:
    pack: str = ""
    zip_sha256: str = ""
    pdf_sha256: str = ""
    manifest_sha256: str = ""
    printed_manifest_sha256: str = ""
    checked: int = 0
    missing: list = field(default_factory=list)
    extra: list = field(default_factory=list)
    changed: list = field(default_factory=list)  # (path, expected, found)
    problems: list = field(default_factory=list)  # anything else, as sentences

    @property
    def ok(self):
        return not (self.missing or self.extra or self.changed or self.problems)

    def lines(self):
        """What differs, one sentence per difference."""
        out = [f"missing: {path} (listed in the manifest, not in the ZIP)" for path in self.missing]
        out += [f"extra: {path} (in the ZIP, not listed in the manifest)" for path in self.extra]
        out += [
            f"changed: {path} (expected SHA-256 {expected}, found {found})"
            for path, expected, found in self.changed
        ]
        return out + list(self.problems)


def printed_manifest_hash(pdf_bytes):
    """The manifest hash the report prints (cover and last page), or '' if none is found."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf_bytes))
    for page in [reader.pages[0], reader.pages[-1]]:
        text = re.sub(r"\s+", "", page.extract_text() or "")
        match = PRINTED.search(text)
        if match:
            return match.group(1)
    return ""


def verify_zip(path_or_file):
    """A :class:`Verification` of the ZIP at ``path_or_file``."""
    result = Verification()
    try:
        data = _read(path_or_file)
        result.zip_sha256 = sha256(data)
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError) as error:
        result.problems.append(f"not a readable ZIP: {error}")
        return result
    with archive:
        names = [n for n in archive.namelist() if not n.endswith("/")]
        contents = {name: archive.read(name) for name in names}
    if MANIFEST not in contents:
        result.missing.append(MANIFEST)
        return result
    try:
        manifest = json.loads(contents[MANIFEST])
        listed = {entry["path"]: entry["sha256"] for entry in manifest["files"]}
        report = manifest["report"]["path"]
    except (ValueError, KeyError, TypeError) as error:
        result.problems.append(f"manifest.json cannot be read: {error}")
        return result
    result.pack = manifest.get("pack", "")
    result.manifest_sha256 = sha256(contents[MANIFEST])
    _check_listed(result, listed, contents)
    own = {MANIFEST, report, manifest.get("checksums", CHECKSUMS)}
    result.extra = sorted(name for name in contents if name not in listed and name not in own)
    _check_report(result, report, contents)
    _check_sums(result, manifest.get("checksums", CHECKSUMS), contents)
    return result


def _read(path_or_file):
    if hasattr(path_or_file, "read"):
        return path_or_file.read()
    with open(path_or_file, "rb") as handle:
        return handle.read()


def compare_with_record(result, *, zip_sha256="", pdf_sha256="", manifest_sha256=""):
    """Add a problem to ``result`` for each hash the portal recorded that the ZIP does not match.

    Empty hashes are not compared. The PDF is the one file no signed list covers, so a swapped
    report is only caught here."""
    checks = (
        ("manifest hash mismatch", manifest_sha256, result.manifest_sha256, "manifest.json has"),
        ("report PDF hash mismatch", pdf_sha256, result.pdf_sha256, "the PDF in the ZIP has"),
        ("ZIP hash mismatch", zip_sha256, result.zip_sha256, "this ZIP file has"),
    )
    for what, recorded, found, where in checks:
        recorded = (recorded or "").strip().lower()
        if recorded and found and recorded != found:
            result.problems.append(f"{what}: the portal recorded {recorded}, {where} {found}")


def _check_listed(result, listed, contents):
    for path, expected in sorted(listed.items()):
        if path not in contents:
            result.missing.append(path)
            continue
        found = sha256(contents[path])
        result.checked += 1
        if found != expected:
            result.changed.append((path, expected, found))


def _check_report(result, report, contents):
    if report not in contents:
        result.missing.append(report)
        return
    result.pdf_sha256 = sha256(contents[report])
    try:
        result.printed_manifest_sha256 = printed_manifest_hash(contents[report])
    except Exception as error:  # noqa: BLE001 - a damaged PDF is a finding, not a crash
        result.problems.append(f"the report {report} cannot be read as a PDF: {error}")
        return
    if result.printed_manifest_sha256 != result.manifest_sha256:
        result.problems.append(
            f"manifest hash mismatch: the report prints {result.printed_manifest_sha256 or 'none'}"
            f", manifest.json has {result.manifest_sha256}"
        )


def _check_sums(result, name, contents):
    if name not in contents:
        result.missing.append(name)
        return
    for line in contents[name].decode("utf-8", "replace").splitlines():
        expected, _, path = line.partition("  ")
        if not path:
            continue
        if path not in contents:
            if path not in result.missing:
                result.missing.append(path)
        elif sha256(contents[path]) != expected and path not in [c[0] for c in result.changed]:
            result.changed.append((path, expected, sha256(contents[path])))
