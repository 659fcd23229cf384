"""The ZIP: the PDF, the files of the revisions in force, manifest.json and SHA256SUMS; and
``verify_pack`` naming every kind of difference."""

import hashlib
import json
import zipfile
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from audits.packs.verify import verify_zip
from tests.audits.packs.conftest import manifest, pdf_reader, zip_members, zip_path


def sha(data):
    return hashlib.sha256(data).hexdigest()


def rewrite(pack, tmp_path, change):
    """A copy of the pack's ZIP with ``change(members)`` applied."""
    members = zip_members(pack)
    change(members)
    target = tmp_path / "changed.zip"
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return target


def test_the_zip_holds_the_pdf_the_original_files_and_the_manifest(pack, records):
    members = zip_members(pack)
    name = "documents/PRO-FIN-001_revA.pdf"
    assert set(members) == {pack.pdf_name, "manifest.json", "SHA256SUMS", name}
    with records["revision"].file.open("rb") as original:
        assert members[name] == original.read()
    listed = manifest(pack)["files"]
    assert listed == [
        {
            "path": name,
            "sha256": sha(members[name]),
            "size": len(members[name]),
            "document": "PRO-FIN-001",
            "revision": "A",
            "title": "付款程序 Paying suppliers",
        }
    ]
    assert pack.manifest_sha256 == sha(members["manifest.json"])
    assert pack.pdf_sha256 == sha(members[pack.pdf_name])
    assert pack.zip_sha256 == sha(zip_path(pack).read_bytes())


def test_sha256sums_covers_every_other_file_in_sha256sum_format(pack):
    members = zip_members(pack)
    lines = members["SHA256SUMS"].decode().splitlines()
    listed = dict(reversed(line.split("  ", 1)) for line in lines)
    assert set(listed) == set(members) - {"SHA256SUMS"}
    for path, digest in listed.items():
        assert sha(members[path]) == digest


def test_the_pdf_prints_the_hash_of_the_manifest_in_the_zip(pack):
    from audits.packs.verify import printed_manifest_hash

    members = zip_members(pack)
    assert printed_manifest_hash(members[pack.pdf_name]) == sha(members["manifest.json"])
    assert not pdf_reader(pack).attachments


def test_an_untouched_pack_verifies(pack, capsys):
    result = verify_zip(zip_path(pack))
    assert result.ok, result.lines()
    call_command("verify_pack", str(zip_path(pack)))
    assert f"OK: {pack.reference} — 1 file(s) match manifest.json" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda m: m.pop("documents/PRO-FIN-001_revA.pdf"),
            "missing: documents/PRO-FIN-001_revA.pdf (listed in the manifest, not in the ZIP)",
        ),
        (
            lambda m: m.__setitem__("documents/extra.pdf", b"%PDF-1.4 slipped in"),
            "extra: documents/extra.pdf (in the ZIP, not listed in the manifest)",
        ),
        (
            lambda m: m.__setitem__("documents/PRO-FIN-001_revA.pdf", b"%PDF-1.4 altered"),
            "changed: documents/PRO-FIN-001_revA.pdf (expected SHA-256 ",
        ),
    ],
    ids=["missing", "extra", "changed"],
)
def test_verify_pack_names_each_kind_of_difference(pack, tmp_path, capsys, change, expected):
    changed = rewrite(pack, tmp_path, change)
    with pytest.raises(CommandError, match="difference"):
        call_command("verify_pack", str(changed))
    assert expected in capsys.readouterr().out


def test_a_manifest_edited_to_match_a_swapped_file_no_longer_matches_the_printed_hash(
    pack, tmp_path, capsys
):
    forged = b"%PDF-1.4 forged procedure"

    def swap(members):
        data = json.loads(members["manifest.json"])
        data["files"][0]["sha256"] = sha(forged)
        members["documents/PRO-FIN-001_revA.pdf"] = forged
        members["manifest.json"] = json.dumps(data).encode()

    with pytest.raises(CommandError):
        call_command("verify_pack", str(rewrite(pack, tmp_path, swap)))
    out = capsys.readouterr().out
    assert f"manifest hash mismatch: the report prints {pack.manifest_sha256}" in out
    assert "changed: manifest.json" in out  # SHA256SUMS still lists the original manifest


def test_a_replaced_report_is_caught_by_sha256sums(pack, tmp_path, capsys):
    def replace(members):
        members[pack.pdf_name] = members[pack.pdf_name] + b"\n% appended after signing\n"

    with pytest.raises(CommandError):
        call_command("verify_pack", str(rewrite(pack, tmp_path, replace)))
    assert f"changed: {pack.pdf_name}" in capsys.readouterr().out


def test_verify_pack_compares_with_the_hash_the_portal_shows(pack, capsys):
    with pytest.raises(CommandError):
        call_command("verify_pack", str(zip_path(pack)), manifest_sha256="0" * 64)
    assert "manifest hash mismatch: the portal recorded 000" in capsys.readouterr().out


def test_the_readme_one_liner_checks_the_zip_without_the_portal(pack, tmp_path):
    """The README's standard-library check, run as a certifier would."""
    import subprocess
    import sys
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    one_liner = readme.split("<!-- verify-one-liner -->")[1].split("```sh")[1].split("```")[0]
    command = one_liner.strip().replace("python3", sys.executable, 1)
    command = command.replace("EP-2026-001.zip", str(zip_path(pack)))
    done = subprocess.run(command, shell=True, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert f"manifest.json sha256 {pack.manifest_sha256}" in done.stdout
    assert "all files match" in done.stdout
    broken = rewrite(
        pack, tmp_path, lambda m: m.__setitem__("documents/PRO-FIN-001_revA.pdf", b"x")
    )
    command = one_liner.strip().replace("python3", sys.executable, 1)
    command = command.replace("EP-2026-001.zip", str(broken))
    done = subprocess.run(command, shell=True, capture_output=True, text=True, check=False)
    assert done.returncode != 0
    assert "MISMATCH documents/PRO-FIN-001_revA.pdf" in done.stdout


def test_a_swapped_report_with_regenerated_sha256sums_is_caught_against_the_portal_record(
    pack, tmp_path, capsys
):
    """Nothing in the ZIP signs the PDF: a forger who swaps it and rewrites SHA256SUMS passes every
    check inside the ZIP, so verify_pack compares the PDF and ZIP hashes the portal recorded."""
    forged_pdf = zip_members(pack)[pack.pdf_name] + b"\n% a different report\n"

    def swap(members):
        members[pack.pdf_name] = forged_pdf
        members["SHA256SUMS"] = "".join(
            f"{sha(data)}  {name}\n" for name, data in members.items() if name != "SHA256SUMS"
        ).encode()

    forged = rewrite(pack, tmp_path, swap)
    assert verify_zip(forged).ok  # consistent on its own: the printed manifest hash still matches
    with pytest.raises(CommandError, match="difference"):
        call_command("verify_pack", str(forged))
    out = capsys.readouterr().out
    assert (
        f"report PDF hash mismatch: the portal recorded {pack.pdf_sha256}, "
        f"the PDF in the ZIP has {sha(forged_pdf)}"
    ) in out
    assert f"ZIP hash mismatch: the portal recorded {pack.zip_sha256}" in out


def test_an_untouched_pack_matches_the_portal_record(pack, capsys):
    call_command("verify_pack", str(zip_path(pack)))
    assert "the ZIP and the PDF match the portal's record" in capsys.readouterr().out


def test_hashes_copied_from_the_pack_page_are_compared_without_the_database(pack, capsys):
    with pytest.raises(CommandError):
        call_command(
            "verify_pack", str(zip_path(pack)), pdf_sha256="1" * 64, zip_sha256=pack.zip_sha256
        )
    out = capsys.readouterr().out
    assert f"report PDF hash mismatch: the portal recorded {'1' * 64}" in out
    assert "ZIP hash mismatch" not in out


@pytest.mark.parametrize("viewer", ["quality_manager", "certifier"])
def test_the_pack_page_shows_the_zip_and_pdf_hashes_to_check_outside_the_portal(
    client, pack, quality_manager, certifier, viewer
):
    from django.urls import reverse

    from tests.audits.packs.conftest import share

    share(pack, quality_manager, certifier)
    client.force_login(quality_manager if viewer == "quality_manager" else certifier)
    page = client.get(reverse("packs:pack", args=[pack.pk])).content.decode()
    assert pack.zip_sha256 in page and pack.pdf_sha256 in page and pack.manifest_sha256 in page


def test_the_pack_publishes_a_sealed_chain_head_on_its_cover_and_in_its_manifest(
    pack, tmp_path, quality_manager, django_capture_on_commit_callbacks
):
    """A certifier who keeps the pack keeps the head: ``verify_audit_trail --against`` with the
    manifest as the statement proves no history before the build was rewritten since."""
    from qms_portal.chain_seal import latest_head, published_form

    kept = manifest(pack)["chain_head"]
    published = kept["published"]
    assert published == published_form(latest_head())
    cover = pdf_reader(pack).pages[0].extract_text()
    assert published in cover.replace("\n", "")
    assert kept["statement"]["tables"]["packs.HistoricalEvidencePack"][0] >= 1
    copy = tmp_path / "manifest.json"
    copy.write_bytes(zip_members(pack)["manifest.json"])
    out = StringIO()
    call_command("verify_audit_trail", "--against", published, "--statement", str(copy), stdout=out)
    assert "nothing was rewritten since" in out.getvalue()
