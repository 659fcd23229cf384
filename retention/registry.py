"""The record types retention covers, declared once: which records of an agency a rule applies to,
when their period starts (the trigger event, from the record's own fields or history), how an
evidence pack covers them, and what disposal does (delete, or erase the citizen's personal data).

Reads and disposals only; who may and when is ``workflow.py``'s business.
"""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qms_portal.statemachine import save_with_history

from .models import Action, RecordType


def _entered(model, **state):
    """When the record first entered ``state``, read from its history (the states used here are
    final: obsolete, closed, signed)."""
    rows = model.history.model.objects.filter(id=OuterRef("pk"), **state)
    return Subquery(rows.order_by("history_date").values("history_date")[:1])


def _delete_files_on_commit(files):
    """Stored files of disposed records go once the deletion has committed (never before)."""
    files = [f for f in files if f]

    def remove():
        for stored in files:
            stored.storage.delete(stored.name)

    transaction.on_commit(remove)


@dataclass(frozen=True)
class Kind:
    """One record type: its default rule, its records, their trigger and their disposal."""

    code: str
    default_years: int
    default_trigger: object
    action: str
    #: agency -> queryset of the type's records, annotated ``retention_trigger`` (a datetime)
    records: object
    #: record -> (reference, title) as text, never personal data
    describe: object
    #: record -> None; deletes or anonymises (inside ``authorised_disposal``)
    dispose: object
    #: text typed on the hold form -> Q finding the record
    lookup: object
    #: evidence-pack coverage: the pack section, the department field, the record's start
    pack_section: str | None = None
    department_field: str | None = None
    start_field: str | None = None
    #: record types that are the same rows (a hold on a request holds its personal data too)
    same_rows: tuple = field(default=())

    @property
    def label(self):
        return RecordType(self.code).label

    @property
    def deletes(self):
        return self.action == Action.DELETE


# --- Documents -----------------------------------------------------------------------------


def _documents(agency):
    from documents.models import Document

    return Document.objects.filter(agency=agency, is_obsolete=True).annotate(
        retention_trigger=Coalesce(_entered(Document, is_obsolete=True), F("created_at"))
    )


def _dispose_document(document):
    """Signatures, acknowledgements and revisions first (they protect the document)."""
    from documents.models import Acknowledgement, Revision, Signature

    revisions = Revision.objects.filter(document=document)
    files = [revision.file for revision in revisions]
    for model in (Signature, Acknowledgement):
        for row in model.objects.filter(revision__document=document):
            row.delete()
    for revision in revisions:
        revision.delete()
    document.delete()
    _delete_files_on_commit(files)


# --- Audits, nonconformities, reviews ------------------------------------------------------


def _audits(agency):
    from audits.auditing.models import Audit

    return Audit.objects.filter(agency=agency, status=Audit.Status.CLOSED).annotate(
        retention_trigger=Coalesce(_entered(Audit, status="closed"), F("created_at"))
    )


def _dispose_audit(audit):
    from audits.auditing.models import Evidence

    files = [e.file for e in Evidence.objects.filter(item__audit=audit)]
    for signature in audit.signatures.all():
        signature.delete()
    audit.delete()  # a nonconformity raised from it protects it: the run says so and keeps it
    _delete_files_on_commit(files)


def _nonconformities(agency):
    from audits.capa.models import Nonconformity

    return Nonconformity.objects.filter(agency=agency, status=Nonconformity.Status.CLOSED).annotate(
        retention_trigger=Coalesce(F("closed_at"), F("raised_at"))
    )


def _reviews(agency):
    from audits.review.models import ManagementReview

    return ManagementReview.objects.filter(
        agency=agency, status=ManagementReview.Status.SIGNED
    ).annotate(
        retention_trigger=Coalesce(_entered(ManagementReview, status="signed"), F("created_at"))
    )


def _dispose_review(review):
    for signature in review.signatures.all():
        signature.delete()
    review.delete()


def _delete(record):
    record.delete()


# --- Citizen requests and their personal data ----------------------------------------------

#: What identifies or locates the citizen on a request; erased after the shorter period.
PERSONAL_TEXT_FIELDS = (
    "citizen_name",
    "citizen_email",
    "citizen_phone",
    "address",
    "address_id",
    "zipcode",
    "media_url",
    "device_id",
    "account_id",
)
PERSONAL_LOCATION_FIELDS = ("lat", "long")


def _requests(agency):
    from services.models import ServiceRequest

    return ServiceRequest.objects.filter(
        service__agency=agency, status__in=ServiceRequest.DONE_STATUSES
    ).annotate(retention_trigger=Coalesce(F("closed_at"), F("resolved_at"), F("submitted_at")))


def has_personal_data():
    fields = Q()
    for name in PERSONAL_TEXT_FIELDS:
        fields |= ~Q(**{name: ""})
    for name in PERSONAL_LOCATION_FIELDS:
        fields |= Q(**{f"{name}__isnull": False})
    return fields | Q(photos__isnull=False)


def _personal_data(agency):
    return _requests(agency).filter(has_personal_data()).distinct()


def _dispose_request(request):
    files = [photo.file for photo in request.photos.all()]
    request.delete()  # a nonconformity raised from it protects it: the run says so and keeps it
    _delete_files_on_commit(files)


def erase_personal_data(request, *, actor):
    """Erase the citizen's contact details, address, location and photos; keep the request and
    its figures. Name, e-mail and phone were never in its history; the address and location are
    erased from its history rows too (that history is not hash-chained)."""
    from services.models import RequestPhoto

    erased = {name: "" for name in PERSONAL_TEXT_FIELDS}
    erased.update({name: None for name in PERSONAL_LOCATION_FIELDS})
    for name, value in erased.items():
        setattr(request, name, value)
    save_with_history(request, actor=actor, reason="personal data erased (retention)")
    history = request.history.exclude(history_id=request.history.latest().history_id)
    kept_out = {"citizen_name", "citizen_email", "citizen_phone"}
    # history-exempt: erasing personal data from the request's own history is the point
    history.update(**{k: v for k, v in erased.items() if k not in kept_out})
    photos = list(request.photos.all())
    files = [photo.file for photo in photos]
    for photo in photos:
        photo.delete()
    # history-exempt: a photo's original file name may name the citizen; the row is gone
    RequestPhoto.history.filter(request_id=request.pk).update(original_filename="")
    _delete_files_on_commit(files)


def _describe_request(request):
    return f"#{request.pk} {request.service.code}", request.service.name_en


def _lookup_request(text):
    text = text.strip().lstrip("#")
    return Q(pk=int(text)) if text.isdigit() else Q(tracking_code=text.upper())


def _lookup_pk_or(field_name):
    def lookup(text):
        text = text.strip()
        return Q(**{field_name: text}) | (Q(pk=int(text)) if text.isdigit() else Q(pk__in=[]))

    return lookup


KINDS = {
    kind.code: kind
    for kind in (
        Kind(
            RecordType.DOCUMENTS,
            10,
            _("the date the document was made obsolete"),
            Action.DELETE,
            _documents,
            lambda d: (d.number, d.title),
            _dispose_document,
            _lookup_pk_or("number"),
            pack_section="documents",
            department_field="owner_department",
            start_field="created_at",
        ),
        Kind(
            RecordType.AUDITS,
            6,
            _("the date the audit report was signed and the audit closed"),
            Action.DELETE,
            _audits,
            lambda a: (a.reference, a.title),
            _dispose_audit,
            _lookup_pk_or("reference"),
            pack_section="audits",
            department_field="department",
            start_field="created_at",
        ),
        Kind(
            RecordType.NONCONFORMITIES,
            6,
            _("the date the nonconformity was closed"),
            Action.DELETE,
            _nonconformities,
            lambda nc: (nc.reference, nc.get_source_display()),
            _delete,
            _lookup_pk_or("reference"),
            pack_section="nonconformities",
            department_field="department",
            start_field="raised_at",
        ),
        Kind(
            RecordType.REVIEWS,
            10,
            _("the date the minutes were signed"),
            Action.DELETE,
            _reviews,
            lambda r: (f"MR-{r.pk} {r.meeting_date:%Y-%m-%d}", r.title),
            _dispose_review,
            _lookup_pk_or("title"),
            pack_section="reviews",
            start_field="created_at",
        ),
        Kind(
            RecordType.REQUESTS,
            3,
            _("the date the request was closed, resolved or rejected"),
            Action.DELETE,
            _requests,
            _describe_request,
            _dispose_request,
            _lookup_request,
            pack_section="services",
            department_field="department",
            start_field="submitted_at",
            same_rows=(RecordType.PERSONAL_DATA,),
        ),
        Kind(
            RecordType.PERSONAL_DATA,
            1,
            _("the date the request was closed, resolved or rejected"),
            Action.ANONYMISE,
            _personal_data,
            _describe_request,
            None,  # erase_personal_data needs the actor: the workflow calls it
            _lookup_request,
            same_rows=(RecordType.REQUESTS,),
        ),
    )
}


def kind(code):
    return KINDS[code]


# --- When a period ends --------------------------------------------------------------------


def years_before(day, years):
    """The same day ``years`` earlier (28 February for a 29 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def ended_by(today, years):
    """Records whose trigger fell on or before this moment's cut-off have been kept ``years``:
    the first instant after the cut-off day, as an aware datetime."""
    cutoff = years_before(today, years) + timedelta(days=1)
    return datetime.combine(cutoff, time.min, tzinfo=timezone.get_current_timezone())


def past_retention(kind_, queryset, rule, today):
    """The records whose period under ``rule`` has ended by ``today``. A document's own
    ``retention_years``, when set, replaces the rule's for that document."""
    if kind_.code != RecordType.DOCUMENTS:
        return queryset.filter(retention_trigger__lt=ended_by(today, rule.years))
    own = set(
        queryset.filter(retention_years__isnull=False).values_list("retention_years", flat=True)
    )
    due = Q(retention_years__isnull=True, retention_trigger__lt=ended_by(today, rule.years))
    for years in own:
        due |= Q(retention_years=years, retention_trigger__lt=ended_by(today, years))
    return queryset.filter(due)


def years_for(kind_, record, rule):
    if kind_.code == RecordType.DOCUMENTS and record.retention_years is not None:
        return record.retention_years
    return rule.years
