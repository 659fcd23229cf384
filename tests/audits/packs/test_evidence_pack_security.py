"""The pack renderer fetches nothing but the pack stylesheet: hostile markup typed into records
is printed as text, and the URL fetcher refuses file:, http(s): and every other URL."""

import re

import pytest
from django.utils import timezone

from audits.packs import build as pack_build
from processes.models import Risk
from qms_portal import pdf as rendering
from tests.audits.packs.conftest import define, pdf_pages_text, pdf_reader, zip_members

HOSTILE = {
    "file_image": '<img src="file:///etc/passwd">',
    "http_image": '<img src="http://attacker.example/pixel.png">',
    "css_import": '<style>@import url("https://attacker.example/x.css");</style>',
    "attachment": '<a rel="attachment" href="file:///etc/passwd">passwd</a>',
}


@pytest.fixture
def hostile_records(records, owner, department_a):
    document = records["document"]
    document.title = f"Paying suppliers {HOSTILE['file_image']}"
    document.save()
    nc = records["nc"]
    nc.description = f"Late decisions {HOSTILE['http_image']}"
    nc.save()
    audit = records["audit"]
    audit.summary = f"Conclusion {HOSTILE['css_import']}"
    audit.save()
    Risk.objects.create(
        process=records["process"],
        description=f"Leak {HOSTILE['attachment']}",
        likelihood=2,
        impact=2,
        owner=owner,
        review_date=timezone.localdate(),
    )
    return records


@pytest.fixture
def fetches(monkeypatch):
    """Every URL the pack renderer is asked for, allowed or refused."""
    seen = []
    original = rendering.PortalOnlyFetcher.fetch

    def recording(self, url, headers=None):
        seen.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(rendering.PortalOnlyFetcher, "fetch", recording)
    return seen


def test_hostile_markup_in_records_is_printed_as_text_and_nothing_is_fetched(
    quality_manager, department_a, hostile_records, fetches, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        pack = define(quality_manager, departments=[department_a])
    pack.refresh_from_db()
    assert pack.status == "ready", pack.error
    assert fetches == ["portal-static:css/evidence_pack.css"]
    text = re.sub(r"\s+", "", "".join(pdf_pages_text(pack)))  # table cells wrap long words
    for markup in HOSTILE.values():
        assert re.sub(r"\s+", "", markup) in text
    pdf = zip_members(pack)[pack.pdf_name]
    assert not pdf_reader(pack).attachments
    assert b"/EmbeddedFile" not in pdf and b"root:x:0:0" not in pdf
    assert not any(name.startswith("etc") for name in zip_members(pack))


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://attacker.example/pixel.png",
        "https://attacker.example/x.css",
        "data:image/png;base64,iVBORw0KGgo=",
        "ftp://attacker.example/file",
        "portal-static:../../settings.py",
        "portal-static:css/portal.css",
    ],
)
def test_the_fetcher_refuses_everything_but_the_listed_static_files(url):
    fetcher = rendering.PortalOnlyFetcher()
    with pytest.raises(rendering.FetchRefused):
        fetcher.fetch(url)
    assert fetcher.refused == [url]


def test_the_fetcher_serves_the_pack_stylesheet():
    fetcher = rendering.PortalOnlyFetcher()
    response = fetcher.fetch("portal-static:css/evidence_pack.css")
    assert b"Noto Sans CJK SC" in response.read()


def test_raw_html_with_external_references_renders_without_fetching_or_embedding_them():
    """Even markup that reached the renderer unescaped would load nothing."""
    fetcher = rendering.PortalOnlyFetcher()
    html = (
        "<html><head>"
        '<link rel="stylesheet" href="http://attacker.example/a.css">'
        '<style>@import url("file:///etc/passwd");</style></head><body>'
        '<img src="file:///etc/passwd"><img src="http://attacker.example/p.png">'
        '<img src="data:image/png;base64,iVBORw0KGgo=">'
        '<a rel="attachment" href="file:///etc/hostname">attached</a>'
        "<p>text</p></body></html>"
    )
    pdf, pages = rendering.render_pdf(html, identifier="0" * 32, fetcher=fetcher)
    assert pages == 1
    assert set(fetcher.refused) == {
        "http://attacker.example/a.css",
        "file:///etc/passwd",
        "http://attacker.example/p.png",
        "data:image/png;base64,iVBORw0KGgo=",
        "file:///etc/hostname",
    }
    assert fetcher.served == []
    assert b"/EmbeddedFile" not in pdf


def test_the_builder_uses_the_locked_down_fetcher(pack):
    builder = pack_build.Builder(pack)
    assert isinstance(builder.fetcher, rendering.PortalOnlyFetcher)
