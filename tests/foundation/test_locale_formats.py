"""Dates follow the reader's language: "1 Dec 2026" in English, "2026年12月1日" in Chinese."""

from datetime import date, datetime

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from documents.models import Document
from tests.documents.conftest import draft_document, make_effective

DATES = Template('{{ day|date:"SHORT_DATE_FORMAT" }} | {{ moment|date:"SHORT_DATETIME_FORMAT" }}')


@pytest.mark.parametrize(
    "language, expected",
    [("en", "1 Dec 2026 | 1 Dec 2026 09:05"), ("zh-hans", "2026年12月1日 | 2026年12月1日 09:05")],
)
def test_short_formats_per_language(language, expected):
    context = Context({"day": date(2026, 12, 1), "moment": datetime(2026, 12, 1, 9, 5)})
    with translation.override(language):
        assert DATES.render(context) == expected


@pytest.mark.django_db
def test_a_page_prints_dates_in_the_readers_language(
    client, owner, colleague, quality_manager, department_a, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    document = draft_document(owner, department_a)
    make_effective(document.revisions.get(), reviewer=colleague, approver=quality_manager)
    due = Document.objects.get(pk=document.pk).next_review_due
    client.force_login(owner)

    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    page = client.get(document.get_absolute_url()).content.decode()
    assert f"{due.year}年{due.month}月{due.day}日" in page
    assert due.isoformat() not in page

    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(document.get_absolute_url()).content.decode()
    with translation.override("en"):
        english = f"{due.day} {due:%b} {due.year}"
    assert english in page
