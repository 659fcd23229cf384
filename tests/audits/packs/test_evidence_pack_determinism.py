"""Building the same pack twice gives the same bytes: PDF, manifest and ZIP."""

from tests.audits.packs.conftest import build_again, pdf_pages_text, zip_bytes, zip_members


def test_building_twice_gives_byte_identical_files(
    pack, quality_manager, django_capture_on_commit_callbacks
):
    first_zip, first = zip_bytes(pack), zip_members(pack)
    hashes = (pack.zip_sha256, pack.pdf_sha256, pack.manifest_sha256)
    again = build_again(pack, quality_manager, django_capture_on_commit_callbacks)
    assert again.build_number == 2 and again.status == "ready"
    assert zip_members(again) == first
    assert zip_bytes(again) == first_zip
    assert (again.zip_sha256, again.pdf_sha256, again.manifest_sha256) == hashes


def test_a_changed_record_changes_the_content(
    pack, quality_manager, records, django_capture_on_commit_callbacks
):
    before = (pack.pdf_sha256, pack.manifest_sha256)
    process = records["process"]
    process.name = "行政许可 (renamed)"
    process.save()
    again = build_again(pack, quality_manager, django_capture_on_commit_callbacks)
    assert again.manifest_sha256 == before[1]  # the same document files
    assert again.pdf_sha256 != before[0]
    assert "(renamed)" in "\n".join(pdf_pages_text(again))
