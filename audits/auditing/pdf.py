"""Audit reports as PDF (WeasyPrint), built from the same templates every time, with the signatures
printed on them. ``render_pdf`` is also used for management review minutes."""

from django.template.loader import render_to_string
from django.utils import timezone

from qms_portal import pdf as rendering


def render_pdf(template, context):
    """PDF bytes of ``template`` rendered with ``context``, through the locked-down renderer of
    evidence packs: user text in a report must never make WeasyPrint load a file or a URL."""
    html = render_to_string(template, {**context, "generated_at": timezone.now()})
    pdf, _pages = rendering.render_pdf(html)
    return pdf


def audit_report_pdf(audit):
    items = audit.checklist.select_related("clause", "process").prefetch_related("attachments")
    return render_pdf(
        "auditing/pdf/audit_report.html",
        {
            "audit": audit,
            "items": items,
            "findings": [i for i in items if i.result not in ("", "conforming", "not_applicable")],
            "team": audit.team.all(),
            "auditees": audit.auditees.all(),
            "processes": audit.processes.all(),
            "clauses": audit.clauses.all(),
            "nonconformities": audit.nonconformities.all(),
            "signatures": audit.signatures.all(),
        },
    )
