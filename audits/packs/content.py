"""What goes into a pack: the records of every chosen section, gathered in a fixed order, and the
clause-to-evidence matrix. Reads only; the same data and definition always give the same result.
"""

from dataclasses import dataclass, field
from datetime import datetime, time

from django.db.models import Prefetch, Q
from django.http import QueryDict
from django.utils import timezone

from documents.models import Acknowledgement, Document, DocumentType, Revision, Signature
from processes import diagrams
from processes.models import Clause, Interaction, Kpi, Measurement, Process, Risk
from qms_portal.organisation.models import Department

from ..auditing.models import Audit, AuditProgramme, ReportSignature
from ..capa.models import Nonconformity
from ..review.models import ManagementReview
from .models import Section

#: Sections that evidence a clause by their nature, whatever the records' own clause links.
SECTION_CLAUSES = {
    Section.POLICY: ["5.2", "6.2"],
    Section.DOCUMENTS: ["7.5"],
    Section.PROCESSES: ["4.4", "9.1.1"],
    Section.RISKS: ["6.1"],
    Section.AUDITS: ["9.2"],
    Section.NONCONFORMITIES: ["10.2"],
    Section.REVIEWS: ["9.3"],
    Section.SERVICES: ["8.2.1", "9.1.2"],
    Section.ACKNOWLEDGEMENTS: ["7.3"],
    Section.ASSESSMENT: ["4.1", "9.1.3"],
}
MATRIX_ITEMS_SHOWN = 12


def _chart(svg, key):
    """Charts carry ``id="chart-title"``; in one PDF each needs its own id."""
    svg = str(svg)
    return svg.replace('"chart-title"', f'"chart-title-{key}"') if svg else ""


@dataclass
class Evidence:
    label: str
    anchor: str


@dataclass
class MatrixRow:
    clause: Clause
    evidence: list = field(default_factory=list)

    @property
    def is_gap(self):
        return not self.evidence

    @property
    def shown(self):
        return self.evidence[:MATRIX_ITEMS_SHOWN]

    @property
    def more(self):
        return max(0, len(self.evidence) - MATRIX_ITEMS_SHOWN)


def _period_bounds(pack):
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(pack.period_start, time.min, tzinfo=zone),
        datetime.combine(pack.period_end, time.max, tzinfo=zone),
    )


def scope_departments(pack):
    """The departments in scope: the chosen ones and their sections, or the whole agency."""
    every = list(Department.objects.filter(agency_id=pack.agency_id).order_by("code", "pk"))
    chosen = {d.pk for d in pack.departments.all()}
    if not chosen:
        return every
    added = True
    while added:  # sections of sections, however deep
        more = {d.pk for d in every if d.parent_id in chosen} - chosen
        chosen |= more
        added = bool(more)
    return [d for d in every if d.pk in chosen]


def _documents(pack, department_ids, *, types=None):
    signatures = Signature.objects.order_by("signed_at", "pk")
    revisions = (
        Revision.objects.defer("extracted_text")
        .order_by("created_at", "pk")
        .prefetch_related(Prefetch("signatures", queryset=signatures))
    )
    documents = Document.objects.filter(
        agency_id=pack.agency_id,
        is_obsolete=False,
        revisions__status=Revision.Status.EFFECTIVE,
    )
    documents = documents.filter(doc_type__in=types) if types else documents
    if department_ids is not None:
        documents = documents.filter(owner_department_id__in=department_ids)
    documents = documents.select_related("owner", "owner_department").prefetch_related(
        Prefetch("revisions", queryset=revisions)
    )
    rows = []
    for document in documents.order_by("number", "pk"):
        history = list(document.revisions.all())
        effective = next(r for r in history if r.status == Revision.Status.EFFECTIVE)
        signatures = [(s, s.is_intact()) for s in effective.signatures.all()]
        rows.append(
            {
                "document": document,
                "effective": effective,
                "revisions": history,
                "signatures": signatures,
            }
        )
    return rows


def _processes(pack, department_ids):
    processes = list(
        Process.objects.filter(agency_id=pack.agency_id, department_id__in=department_ids)
        .select_related("owner", "department")
        .prefetch_related(
            Prefetch("clauses", queryset=Clause.objects.order_by("sort_key")),
            Prefetch("documents", queryset=Document.objects.order_by("number")),
        )
        .order_by("code", "pk")
    )
    ids = [p.pk for p in processes]
    interactions = Interaction.objects.filter(source_id__in=ids, target_id__in=ids).order_by("pk")
    start, end = pack.period_start, pack.period_end
    measurements = Measurement.objects.filter(period__range=(start, end)).order_by("period", "pk")
    kpis = list(
        Kpi.objects.filter(process_id__in=ids)
        .select_related("process")
        .prefetch_related(Prefetch("measurements", queryset=measurements))
        .order_by("process__code", "name", "pk")
    )
    results = []
    for kpi in kpis:
        values = list(kpi.measurements.all())
        chart = _chart(diagrams.kpi_trend(kpi, values), f"kpi-{kpi.pk}") if len(values) > 1 else ""
        results.append({"kpi": kpi, "measurements": values, "chart": chart})
    return {
        "processes": processes,
        "map": _chart(diagrams.process_map(processes, list(interactions)), "map")
        if processes
        else "",
        "kpis": results,
    }


def _risks(pack, department_ids):
    risks = list(
        Risk.objects.filter(
            process__agency_id=pack.agency_id, process__department_id__in=department_ids
        )
        .select_related("process", "owner")
        .order_by("process__code", "pk")
    )
    cells = {}
    for risk in risks:
        if not risk.is_closed:
            cells[(risk.likelihood, risk.impact)] = cells.get((risk.likelihood, risk.impact), 0) + 1
    heat_map = (
        _chart(diagrams.risk_heat_map(cells, base_query=QueryDict()), "risks") if risks else ""
    )
    return {"risks": risks, "heat_map": heat_map}


def _audits(pack, department_ids):
    programmes = AuditProgramme.objects.filter(
        agency_id=pack.agency_id, year__gte=pack.period_start.year, year__lte=pack.period_end.year
    ).order_by("year", "pk")
    signatures = ReportSignature.objects.order_by("signed_at", "pk")
    audits = (
        Audit.objects.filter(agency_id=pack.agency_id, department_id__in=department_ids)
        .in_period(pack.period_start, pack.period_end)
        .select_related("programme", "department", "lead_auditor")
        .prefetch_related(
            Prefetch("clauses", queryset=Clause.objects.order_by("sort_key")),
            Prefetch("processes", queryset=Process.objects.order_by("code")),
            "checklist__clause",
            "checklist__process",
            Prefetch("signatures", queryset=signatures),
            Prefetch("nonconformities", queryset=Nonconformity.objects.order_by("reference")),
        )
        .order_by("planned_start", "reference", "pk")
    )
    rows = []
    for audit in audits:
        items = sorted(audit.checklist.all(), key=lambda i: (i.position, i.pk))
        signed = [(s, s.is_intact()) for s in audit.signatures.all()]
        rows.append({"audit": audit, "items": items, "signatures": signed})
    return {"programmes": list(programmes), "audits": rows}


def _nonconformities(pack, department_ids):
    start, end = _period_bounds(pack)
    return list(
        Nonconformity.objects.filter(
            agency_id=pack.agency_id, department_id__in=department_ids, raised_at__lte=end
        )
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=start))
        .select_related("department", "owner", "clause", "process", "audit")
        .prefetch_related("actions__owner")
        .order_by("reference", "pk")
    )


def _reviews(pack):
    return [
        {"review": review, "signatures": [(s, s.is_intact()) for s in review.signatures.all()]}
        for review in ManagementReview.objects.filter(
            agency_id=pack.agency_id, meeting_date__range=(pack.period_start, pack.period_end)
        )
        .select_related("chair")
        .prefetch_related("attendees", "actions__owner", "signatures")
        .order_by("meeting_date", "pk")
    ]


def _services(pack, departments):
    from services.statistics import monthly_statistics, totals

    codes = {d.code for d in departments}
    rows = monthly_statistics(agency=pack.agency, start=pack.period_start, end=pack.period_end)
    rows = sorted(
        (r for r in rows if r.department_code in codes),
        key=lambda r: (r.month, r.service_code, r.department_code),
    )
    return {"rows": rows, "totals": totals(rows)}


def _acknowledgements(document_rows):
    revision_ids = [row["effective"].pk for row in document_rows]
    return list(
        Acknowledgement.objects.filter(revision_id__in=revision_ids)
        .select_related("revision__document", "person")
        .order_by("revision__document__number", "person__username", "pk")
    )


def gather(pack):
    """Everything the chosen sections print, as a dict for the template."""
    sections = set(pack.sections)
    departments = scope_departments(pack)
    department_ids = [d.pk for d in departments]
    whole_agency = not pack.departments.exists()
    data = {"departments": departments, "whole_agency": whole_agency}
    need_documents = sections & {Section.DOCUMENTS, Section.ACKNOWLEDGEMENTS}
    documents = _documents(pack, department_ids) if need_documents else []
    if Section.POLICY in sections:
        data["policy_documents"] = _documents(
            pack, None, types=[DocumentType.POLICY, DocumentType.QUALITY_MANUAL]
        )
        data["objectives"] = list(
            Kpi.objects.filter(process__department_id__in=department_ids, is_active=True)
            .select_related("process")
            .order_by("process__code", "name", "pk")
        )
    if Section.DOCUMENTS in sections:
        data["documents"] = documents
    if Section.PROCESSES in sections:
        data["processes"] = _processes(pack, department_ids)
    if Section.RISKS in sections:
        data["risks"] = _risks(pack, department_ids)
    if Section.AUDITS in sections:
        data["audits"] = _audits(pack, department_ids)
    if Section.NONCONFORMITIES in sections:
        data["nonconformities"] = _nonconformities(pack, department_ids)
    if Section.REVIEWS in sections:
        data["reviews"] = _reviews(pack)
    if Section.SERVICES in sections:
        data["services"] = _services(pack, departments)
    if Section.ACKNOWLEDGEMENTS in sections:
        data["acknowledgements"] = _acknowledgements(documents)
    if Section.ASSESSMENT in sections:
        from assessment.results import pack_section

        data["assessment"] = pack_section(pack.agency, pack.period_start, pack.period_end)
    data["matrix"] = clause_matrix(pack, data)
    return data


def files_to_include(data):
    """Effective revisions whose original files go into the ZIP, in a fixed order."""
    revisions = {}
    for key in ("policy_documents", "documents"):
        for row in data.get(key, []):
            revisions[row["effective"].pk] = row["effective"]
    return sorted(revisions.values(), key=lambda r: (r.document.number, r.label, r.pk))


# --- Clause-to-evidence matrix -------------------------------------------------------------


def matrix_clauses(pack):
    """The chosen clauses with their sub-clauses one level down (``7`` → ``7.1`` … ``7.5``)."""
    chosen = list(pack.clauses.order_by("sort_key"))
    rows, seen = [], set()
    every = list(Clause.objects.order_by("sort_key"))
    for clause in chosen:
        limit = max(1, clause.depth)
        for candidate in every:
            inside = candidate.number == clause.number or candidate.number.startswith(
                clause.number + "."
            )
            if inside and candidate.depth <= limit and candidate.pk not in seen:
                seen.add(candidate.pk)
                rows.append(candidate)
    return sorted(rows, key=lambda c: c.sort_key)


def _tagged_evidence(pack, data):
    """(clause number, Evidence) pairs from the records' own clause links and the sections."""
    pairs = []
    for section, numbers in SECTION_CLAUSES.items():
        if section in pack.sections and _section_has_records(section, data):
            for number in numbers:
                pairs.append((number, Evidence(str(section.label), f"section-{section.value}")))
    if Section.PROCESSES in pack.sections:
        for process in data["processes"]["processes"]:
            for clause in process.clauses.all():
                pairs.append((clause.number, Evidence(f"{process.code}", f"process-{process.pk}")))
    for row in data.get("audits", {}).get("audits", []):
        audit = row["audit"]
        for clause in audit.clauses.all():
            pairs.append((clause.number, Evidence(audit.reference, f"audit-{audit.pk}")))
    for nc in data.get("nonconformities", []):
        if nc.clause_id:
            pairs.append((nc.clause.number, Evidence(nc.reference, f"nc-{nc.pk}")))
    return pairs


def _section_has_records(section, data):
    value = {
        Section.POLICY: data.get("policy_documents") or data.get("objectives"),
        Section.DOCUMENTS: data.get("documents"),
        Section.PROCESSES: data.get("processes", {}).get("processes"),
        Section.RISKS: data.get("risks", {}).get("risks"),
        Section.AUDITS: data.get("audits", {}).get("audits"),
        Section.NONCONFORMITIES: data.get("nonconformities"),
        Section.REVIEWS: data.get("reviews"),
        Section.SERVICES: data.get("services", {}).get("rows"),
        Section.ACKNOWLEDGEMENTS: data.get("acknowledgements"),
        Section.ASSESSMENT: data.get("assessment", {}).get("data"),
    }[section]
    return bool(value)


def clause_matrix(pack, data):
    """One row per clause in scope with the records evidencing it (its sub-clauses' included);
    rows without any are the gaps a certifier will ask about."""
    pairs = _tagged_evidence(pack, data)
    rows = []
    for clause in matrix_clauses(pack):
        prefix = clause.number + "."
        found, labels = [], set()
        for number, evidence in pairs:
            if (number == clause.number or number.startswith(prefix)) and (
                evidence.label not in labels
            ):
                labels.add(evidence.label)
                found.append(evidence)
        rows.append(MatrixRow(clause=clause, evidence=found))
    return rows
