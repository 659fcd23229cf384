"""Audit reports and review minutes render through the evidence packs' locked-down WeasyPrint call:
even markup that reached the renderer unescaped loads no file: or http: resource."""

import io
from datetime import date

import pytest
from pypdf import PdfReader
from weasyprint.urls import URLFetcher

from audits.auditing import pdf
from audits.review import pdf as review_pdf
from audits.review import workflow
from qms_portal import pdf as rendering

pytestmark = pytest.mark.django_db

RAW = (
    "<html><head>"
    '<link rel="stylesheet" href="http://attacker.example/a.css">'
    '<style>@import url("file:///etc/hostname");</style></head><body>'
    '<img src="file:///etc/passwd"><img src="http://attacker.example/p.png">'
    "<p>report</p></body></html>"
)
URLS = {
    "http://attacker.example/a.css",
    "file:///etc/hostname",
    "file:///etc/passwd",
    "http://attacker.example/p.png",
}


@pytest.fixture
def fetches(monkeypatch):
    """URLs asked of the locked-down fetcher and of WeasyPrint's default fetcher, separately."""
    seen = {"portal": [], "default": []}
    original = rendering.PortalOnlyFetcher.fetch

    def portal(self, url, headers=None):
        seen["portal"].append(url)
        return original(self, url, headers)

    def default(self, url, headers=None):
        seen["default"].append(url)
        raise ValueError("the default fetcher must not be used")

    monkeypatch.setattr(rendering.PortalOnlyFetcher, "fetch", portal)
    monkeypatch.setattr(URLFetcher, "fetch", default)
    return seen


@pytest.fixture
def review(quality_manager):
    return workflow.review_create(
        actor=quality_manager,
        title="Management review",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 6, 30),
        meeting_date=date(2026, 7, 10),
        chair=quality_manager,
    )


@pytest.mark.parametrize("render", ["audit_report", "review_minutes"])
def test_raw_html_through_the_report_path_fetches_nothing(
    monkeypatch, fetches, audit, review, render
):
    monkeypatch.setattr(pdf, "render_to_string", lambda template, context: RAW)
    data = (
        pdf.audit_report_pdf(audit)
        if render == "audit_report"
        else review_pdf.review_minutes_pdf(review)
    )
    assert data.startswith(b"%PDF")
    assert fetches["default"] == []
    assert set(fetches["portal"]) == URLS  # each asked for, each refused
    assert b"/EmbeddedFile" not in data


def test_markup_in_an_audit_title_is_printed_as_text(fetches, audit):
    audit.title = 'Licensing <img src="file:///etc/passwd">'
    audit.save()
    text = " ".join(
        p.extract_text() for p in PdfReader(io.BytesIO(pdf.audit_report_pdf(audit))).pages
    )
    assert '<img src="file:///etc/passwd">' in text.replace("\n", " ")
    assert fetches == {"portal": [], "default": []}
