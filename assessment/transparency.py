"""What an agency's public transparency page shows, computed from live data and cached.

The page holds no personal data: documents show number, title, revision and date (never owners or
signers), services their promise and figures, the self-assessment its levels (never assessors,
reasons or evidence). :func:`page_data` runs a fixed number of queries whatever the number of
documents, services, requests or indicators, and caches the result (language-neutral: both
languages are kept) for :data:`CACHE_SECONDS`; approval and publication changes clear it.
"""

from datetime import date

from django.utils import timezone

from documents.models import Confidentiality, DocumentType, Revision
from qms_portal import chain_seal, resilient_cache
from services.models import Service
from services.statistics import monthly_statistics, totals

from .models import TransparencySettings
from .results import approved_with_results, result_rows

CACHE_SECONDS = 600
POLICY_TEXT_CHARS = 3000


def cache_key(agency_id):
    return f"transparency:v1:{agency_id}"


def invalidate(agency_id):
    resilient_cache.discard(cache_key(agency_id))


def twelve_months(today=None):
    """The last twelve months: from the first day of the month eleven months ago to today."""
    today = today or timezone.localdate()
    month = today.month - 11
    year = today.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return date(year, month, 1), today


def _effective_public_revisions(agency):
    return (
        Revision.objects.filter(
            status=Revision.Status.EFFECTIVE,
            document__agency=agency,
            document__confidentiality=Confidentiality.PUBLIC,
            document__is_obsolete=False,
        )
        .select_related("document")
        .order_by("document__number")
    )


def _document_row(revision):
    document = revision.document
    return {
        "number": document.number,
        "title": document.title,
        "type": document.doc_type,
        "revision": revision.label,
        "effective_date": revision.effective_date,
    }


def _policy(settings_row, revisions):
    policy = next((r for r in revisions if r.document.doc_type == DocumentType.POLICY), None)
    return {
        "statement_zh": settings_row.policy_statement_zh if settings_row else "",
        "statement_en": settings_row.policy_statement_en if settings_row else "",
        "document": _document_row(policy) if policy else None,
        "text": (policy.extracted_text or "")[:POLICY_TEXT_CHARS] if policy else "",
    }


def _services(agency, start, end):
    services = list(Service.objects.public().filter(agency=agency).order_by("code"))
    rows = monthly_statistics(agency=agency, start=start, end=end)
    result = []
    for service in services:
        figures = totals([row for row in rows if row.service_code == service.code])
        rate = figures["on_time_rate"]
        result.append(
            {
                "code": service.code,
                "name_zh": service.name_zh,
                "name_en": service.name_en,
                "commitment_days": service.commitment_days,
                "requests": figures["requests"],
                "finished": figures["finished"],
                "on_time_percent": round(rate * 100, 1) if rate is not None else None,
                "ratings": figures["ratings"],
                "satisfaction": figures["satisfaction"],
            }
        )
    return result


def published_assessment(agency):
    """The latest approved self-assessment with its results, or None (two queries)."""
    return approved_with_results(agency).order_by("-year").first()


def _assessment(agency):
    assessment = published_assessment(agency)
    if assessment is None:
        return None
    return {
        "year": assessment.year,
        "approved_on": timezone.localdate(assessment.approved_at)
        if assessment.approved_at
        else None,
        "results": result_rows(assessment),
    }


def compute(agency, today=None):
    """The page's data, straight from the database (no cache)."""
    settings_row = TransparencySettings.objects.filter(agency=agency).first()
    revisions = list(_effective_public_revisions(agency))
    start, end = twelve_months(today)
    publish = bool(settings_row and settings_row.publish_self_assessment)
    return {
        "agency": {"code": agency.code, "name": agency.name, "short_name": agency.short_name},
        "computed_at": timezone.now(),
        "policy": _policy(settings_row, revisions),
        "documents": [_document_row(r) for r in revisions],
        "period": {"start": start, "end": end},
        "services": _services(agency, start, end),
        "assessment": _assessment(agency) if publish else None,
        "chain_head": _chain_head(),
    }


def _chain_head():
    """The latest sealed audit-trail head (qms_portal.chain_seal): published daily, so a page
    cached for minutes shows the one anyone may keep and check the portal against later."""
    head = chain_seal.latest_head()
    if head is None:
        return None
    return {
        "published": chain_seal.published_form(head),
        "seal": head.seal,
        "issued_at": head.issued_at,
    }


def page_data(agency):
    """The page's data from the cache, computed when missing (or the cache is unreachable)."""
    key = cache_key(agency.pk)
    data = resilient_cache.cached(key)
    if data is None:
        data = compute(agency)
        resilient_cache.cache_value(key, data, seconds=CACHE_SECONDS)
    return data
