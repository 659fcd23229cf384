"""The pack PDF, read back with pypdf: cover, contents with true page numbers, bookmarks, running
header and "page X of Y" footer, one section per choice, Chinese and English text, the matrix."""

import re

from django.utils import translation
from django.utils.formats import date_format

from audits.packs.models import Section
from tests.audits.packs.conftest import define, pdf_pages_text, pdf_reader


def test_the_contents_page_gives_the_page_where_each_section_starts(pack):
    pages = pdf_pages_text(pack)
    entries = re.findall(r"\d+\. (.+?) \.+ ?(\d+)", pages[1])
    titles = [title for title, _ in entries]
    assert titles[0] == "Clause-to-evidence matrix"
    assert titles[-1] == "Files in this pack"
    assert len(entries) == len(Section) + 2
    for title, page in entries:
        assert pages[int(page) - 1].startswith(title), (title, page)


def test_every_chosen_section_has_its_own_bookmark(pack):
    outline = [item.title for item in pdf_reader(pack).outline if not isinstance(item, list)]
    for section in Section:
        assert str(section.label) in outline
    assert "Clause-to-evidence matrix" in outline


def test_every_page_has_the_pack_reference_and_page_x_of_y(pack):
    pages = pdf_pages_text(pack)
    assert len(pages) == pack.page_count
    for number, text in enumerate(pages, start=1):
        assert pack.reference in text
        assert f"page {number} of {len(pages)}" in text


def test_chinese_and_english_text_both_render(pack):
    text = "\n".join(pdf_pages_text(pack))
    assert "付款程序 Paying suppliers" in text  # document title
    assert "监督审核" in text  # pack title
    assert "行政许可" in text  # process name


def test_the_cover_prints_scope_period_and_the_manifest_hash(pack):
    cover = pdf_pages_text(pack)[0]
    assert "Finance" in cover
    with translation.override(pack.language):
        start, end = (
            date_format(d, "SHORT_DATE_FORMAT") for d in (pack.period_start, pack.period_end)
        )
    assert f"{start} – {end}" in cover
    assert pack.manifest_sha256 in re.sub(r"\s+", "", cover)


def test_the_matrix_lists_evidence_and_flags_clauses_without_any(pack):
    text = "\n".join(pdf_pages_text(pack))
    assert re.search(r"8\.1 Operational planning and control\s+CORE-01; IA-\d{4}-001", text)
    assert re.search(r"10\.3 Continual improvement\s+GAP — no evidence", text)
    assert re.search(r"8\.5 Production and service provision\s+NC-\d{4}-001", text)
    cover = pdf_pages_text(pack)[0]
    assert "10.3" in cover.split("Clauses without evidence")[1].split("manifest")[0]


def test_only_the_chosen_sections_are_printed(
    quality_manager, department_a, records, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        small = define(quality_manager, departments=[department_a], sections=["risks", "reviews"])
    small.refresh_from_db()
    text = "\n".join(pdf_pages_text(small))
    assert "Risk register" in text and "Management review records" in text
    assert "Document register, revision history and signatures" not in text
    assert "Read-and-acknowledge records" not in text


def test_the_document_section_prints_revision_history_and_signature_manifest(pack, records):
    text = "\n".join(pdf_pages_text(pack))
    assert records["revision"].sha256 in re.sub(r"\s+", "", text)
    assert re.search(r"Colleague\s+Reviewed .* intact", text)
    assert re.search(r"Quality_Manager\s+Approved .* intact", text)
