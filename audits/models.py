"""Internal audits, nonconformities, corrective actions and management review (ISO 9001 9.2, 9.3,
10.2).

Tables, constraints and the visibility rules (``QuerySet.visible_to``). State changes live in
``workflow.py``; these models hold no rules beyond constraints and small derived properties.
"""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from processes.models import Clause, Kpi, Measurement, Process, Risk
from qms_portal.audit_trail import ChainedHistoricalRecords
from qms_portal.organisation.models import Agency, Department


def audit_cycle_months():
    """Length of the audit cycle in months (every process and clause audited once per cycle)."""
    return int(getattr(settings, "QMS_AUDIT_CYCLE_MONTHS", 12))


def verification_wait_days():
    """Days between implementing corrective actions and verifying their effectiveness."""
    return int(getattr(settings, "QMS_CAPA_VERIFICATION_WAIT_DAYS", 30))


def escalation_after_days():
    """Days an action may be overdue before the quality managers are told."""
    return int(getattr(settings, "QMS_ACTION_ESCALATION_DAYS", 14))


def _sees_whole_agency(person):
    return person.is_quality_manager or person.is_auditor or person.is_administrator


def _shared_departments(person):
    from qms_portal.organisation.models import DepartmentUserObjectPermission

    return DepartmentUserObjectPermission.objects.filter(
        user=person, permission__codename="view_department"
    ).values("content_object_id")


class _VisibleQuerySet(models.QuerySet):
    """Visibility shared by audits and nonconformities: a department-owned record.

    Quality managers, auditors and administrators see their whole agency; staff see records of
    their departments (and records naming them, see ``_involving``); a certifier sees closed
    records of departments shared with them.
    """

    department_field = "department"
    closed_statuses = ()

    def _involving(self, person):
        return Q(pk__in=[])

    def visible_to(self, person):
        if not person.is_authenticated or not person.is_active:
            return self.none()
        if person.is_superuser:
            return self
        if person.is_certifier:
            return self.filter(
                **{f"{self.department_field}__in": _shared_departments(person)},
                status__in=self.closed_statuses,
            )
        if person.agency_id is None:
            return self.none()
        mine = self.filter(agency_id=person.agency_id)
        if _sees_whole_agency(person):
            return mine
        return mine.filter(
            Q(**{f"{self.department_field}__in": person.department_ids}) | self._involving(person)
        ).distinct()


# --- Audit programme and audits ------------------------------------------------------------


class AuditProgrammeQuerySet(models.QuerySet):
    def visible_to(self, person):
        if not person.is_authenticated or not person.is_active:
            return self.none()
        if person.is_superuser:
            return self
        if person.is_certifier or person.agency_id is None:
            return self.none()
        return self.filter(agency_id=person.agency_id)


class AuditProgramme(models.Model):
    """The yearly audit programme of an agency (ISO 9001 9.2.2 a)."""

    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="audit_programmes", verbose_name=_("agency")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    title = models.CharField(_("title"), max_length=200)
    objectives = models.TextField(_("objectives"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    history = HistoricalRecords()

    objects = AuditProgrammeQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit programme")
        verbose_name_plural = _("audit programmes")
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "year"], name="audit_programme_one_per_year")
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("audits:programme", args=[self.pk])

    @property
    def cycle_start(self):
        return timezone.datetime(self.year, 1, 1).date()

    @property
    def cycle_end(self):
        """Last day of the cycle that starts with the programme year (cycle length a setting)."""
        months = audit_cycle_months()
        year, month = divmod(months, 12)
        return timezone.datetime(self.year + year, 1 + month, 1).date() - timedelta(days=1)


class AuditQuerySet(_VisibleQuerySet):
    closed_statuses = ("closed",)

    def _involving(self, person):
        return Q(lead_auditor=person) | Q(team=person) | Q(auditees=person)

    def in_period(self, start, end):
        """Audits planned (or held) within [start, end]."""
        return self.filter(planned_start__lte=end, planned_end__gte=start)


class Audit(models.Model):
    """One audit: what is audited against which clauses, by whom, when (ISO 9001 9.2.2 b–c)."""

    class Type(models.TextChoices):
        INTERNAL = "internal", _("Internal audit")
        CERTIFICATION = "certification", _("External certification audit")
        SURVEILLANCE = "surveillance", _("Surveillance audit")
        SUPPLIER = "supplier", _("Supplier audit")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        REPORTING = "reporting", _("Reporting")
        CLOSED = "closed", _("Closed")

    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="audits", verbose_name=_("agency")
    )
    programme = models.ForeignKey(
        AuditProgramme,
        on_delete=models.PROTECT,
        related_name="audits",
        verbose_name=_("programme"),
    )
    reference = models.CharField(_("reference"), max_length=30)
    title = models.CharField(_("title"), max_length=200)
    audit_type = models.CharField(
        _("type"), max_length=16, choices=Type.choices, default=Type.INTERNAL
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="audits", verbose_name=_("department")
    )
    processes = models.ManyToManyField(
        Process, blank=True, related_name="audits", verbose_name=_("processes in scope")
    )
    clauses = models.ManyToManyField(
        Clause, blank=True, related_name="audits", verbose_name=_("criteria (ISO 9001 clauses)")
    )
    scope = models.TextField(_("scope"))
    lead_auditor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="audits_led",
        verbose_name=_("lead auditor"),
    )
    team = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="audit_teams",
        verbose_name=_("audit team"),
    )
    auditees = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="audits_as_auditee",
        verbose_name=_("auditees"),
    )
    planned_start = models.DateField(_("planned start"))
    planned_end = models.DateField(_("planned end"))
    actual_start = models.DateField(_("actual start"), null=True, blank=True)
    actual_end = models.DateField(_("actual end"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PLANNED, db_index=True
    )
    summary = models.TextField(_("conclusion"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    history = ChainedHistoricalRecords(m2m_fields=[processes, clauses, team, auditees])

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit")
        verbose_name_plural = _("audits")
        ordering = ["planned_start", "reference"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "reference"], name="audit_reference_unique"),
            models.CheckConstraint(
                condition=Q(planned_end__gte=models.F("planned_start")),
                name="audit_planned_dates_in_order",
            ),
            models.CheckConstraint(
                condition=Q(actual_end__isnull=True)
                | Q(actual_start__isnull=False, actual_end__gte=models.F("actual_start")),
                name="audit_actual_dates_in_order",
            ),
        ]

    def __str__(self):
        return f"{self.reference} · {self.title}"

    def get_absolute_url(self):
        return reverse("audits:audit", args=[self.pk])

    def fingerprint(self):
        """Hash of what the report says; report signatures are bound to it."""
        items = self.checklist.order_by("pk").values_list("pk", "question", "result", "evidence")
        parts = [str(self.pk), self.reference, self.title, self.scope, self.summary]
        parts += ["|".join(str(v) for v in item) for item in items]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


class ChecklistItem(models.Model):
    """One question of an audit checklist and what the auditor found (ISO 9001 9.2.2 c–d)."""

    class Result(models.TextChoices):
        NOT_ASSESSED = "", _("Not assessed yet")
        CONFORMING = "conforming", _("Conforming")
        MINOR = "minor", _("Minor nonconformity")
        MAJOR = "major", _("Major nonconformity")
        OBSERVATION = "observation", _("Observation")
        IMPROVEMENT = "improvement", _("Opportunity for improvement")
        NOT_APPLICABLE = "not_applicable", _("Not applicable")

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="checklist")
    clause = models.ForeignKey(
        Clause, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    process = models.ForeignKey(
        Process, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    question = models.TextField(_("question"))
    position = models.PositiveIntegerField(default=0)
    result = models.CharField(
        _("result"), max_length=16, choices=Result.choices, blank=True, default=""
    )
    evidence = models.TextField(_("evidence notes"), blank=True)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    assessed_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["audit", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["audit", "clause", "process"],
                condition=Q(clause__isnull=False),
                name="checklist_item_generated_once",
            )
        ]

    def __str__(self):
        return self.question[:80]

    @property
    def is_nonconformity(self):
        return self.result in (self.Result.MINOR, self.Result.MAJOR)


class Evidence(models.Model):
    """A file attached to a checklist item, checked like document uploads."""

    item = models.ForeignKey(ChecklistItem, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(max_length=300)
    original_filename = models.CharField(max_length=200)
    file_kind = models.CharField(max_length=10)
    file_size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("audit evidence")
        verbose_name_plural = _("audit evidence")
        ordering = ["uploaded_at"]

    def __str__(self):
        return self.original_filename


# --- Management review ---------------------------------------------------------------------


class ManagementReviewQuerySet(models.QuerySet):
    def visible_to(self, person):
        """Quality managers, auditors and administrators of the agency; the chair and attendees."""
        if not person.is_authenticated or not person.is_active:
            return self.none()
        if person.is_superuser:
            return self
        if person.is_certifier or person.agency_id is None:
            return self.none()
        mine = self.filter(agency_id=person.agency_id)
        if _sees_whole_agency(person):
            return mine
        return mine.filter(Q(chair=person) | Q(attendees=person)).distinct()


class ManagementReview(models.Model):
    """A management review meeting and its minutes (ISO 9001 9.3)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SIGNED = "signed", _("Minutes signed")

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="management_reviews")
    title = models.CharField(_("title"), max_length=200)
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    meeting_date = models.DateField(_("meeting date"))
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="reviews_chaired",
        verbose_name=_("chair"),
    )
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="reviews_attended"
    )
    inputs = models.JSONField(_("inputs"), default=dict, blank=True)
    inputs_gathered_at = models.DateTimeField(null=True, blank=True)
    discussion = models.TextField(_("discussion"), blank=True)
    decisions = models.TextField(
        _("decisions"),
        blank=True,
        help_text=_("Conclusions on improvement, changes to the QMS and resources (9.3.3)."),
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.DRAFT
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    history = ChainedHistoricalRecords(m2m_fields=[attendees])

    objects = ManagementReviewQuerySet.as_manager()

    class Meta:
        verbose_name = _("management review")
        verbose_name_plural = _("management reviews")
        ordering = ["-meeting_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="review_period_in_order",
            )
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("audits:review", args=[self.pk])

    def fingerprint(self):
        import json

        parts = [
            str(self.pk),
            self.title,
            str(self.period_start),
            str(self.period_end),
            json.dumps(self.inputs, sort_keys=True, default=str),
            self.discussion,
            self.decisions,
        ]
        parts += [
            f"{a.pk}|{a.title}|{a.owner_id}|{a.due_date}"
            for a in self.actions.order_by("pk").only("pk", "title", "owner_id", "due_date")
        ]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


# --- Nonconformities -----------------------------------------------------------------------


class NonconformityQuerySet(_VisibleQuerySet):
    closed_statuses = ("closed",)

    def _involving(self, person):
        return Q(owner=person) | Q(raised_by=person) | Q(actions__owner=person)

    def open(self):
        return self.exclude(status=Nonconformity.Status.CLOSED)


class Nonconformity(models.Model):
    """A nonconformity and its corrective action (ISO 9001 10.2)."""

    class Source(models.TextChoices):
        AUDIT = "audit", _("Audit finding")
        COMPLAINT = "complaint", _("Citizen complaint (services)")
        KPI = "kpi", _("KPI breach (processes)")
        REVIEW = "review", _("Management review")
        EXTERNAL = "external", _("External audit")
        STAFF = "staff", _("Staff report")

    class Severity(models.TextChoices):
        MINOR = "minor", _("Minor")
        MAJOR = "major", _("Major")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CONTAINED = "contained", _("Correction taken")
        ANALYSED = "analysed", _("Root cause found")
        PLANNED = "planned", _("Action plan agreed")
        IMPLEMENTED = "implemented", _("Implemented, awaiting verification")
        CLOSED = "closed", _("Closed (effective)")
        REOPENED = "reopened", _("Reopened (ineffective)")

    class RootCauseMethod(models.TextChoices):
        FIVE_WHYS = "five_whys", _("5 whys")
        FISHBONE = "fishbone", _("Fishbone (Ishikawa)")

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="nonconformities")
    reference = models.CharField(_("reference"), max_length=30)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    audit = models.ForeignKey(
        Audit, on_delete=models.PROTECT, null=True, blank=True, related_name="nonconformities"
    )
    finding = models.OneToOneField(
        ChecklistItem,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="nonconformity",
        verbose_name=_("audit finding"),
    )
    kpi = models.ForeignKey(
        Kpi, on_delete=models.SET_NULL, null=True, blank=True, related_name="nonconformities"
    )
    measurement = models.ForeignKey(
        Measurement, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    review = models.ForeignKey(
        ManagementReview,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="nonconformities",
    )
    service_request = models.OneToOneField(
        "services.ServiceRequest",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="nonconformity",
        verbose_name=_("citizen request"),
        help_text=_("The complaint or low-rated request this nonconformity was raised from."),
    )
    source_reference = models.CharField(
        _("source reference"),
        max_length=300,
        blank=True,
        help_text=_("For example the complaint number or a link to it."),
    )
    description = models.TextField(_("description"))
    clause = models.ForeignKey(
        Clause, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("clause")
    )
    process = models.ForeignKey(
        Process,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="nonconformities",
        verbose_name=_("process"),
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="nonconformities",
        verbose_name=_("department"),
    )
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="nonconformities_owned",
        verbose_name=_("responsible person"),
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField(_("raised"), default=timezone.now)
    containment = models.TextField(_("correction (containment)"), blank=True)
    root_cause_method = models.CharField(max_length=10, choices=RootCauseMethod.choices, blank=True)
    root_cause_analysis = models.JSONField(default=dict, blank=True)
    root_cause = models.TextField(_("root cause"), blank=True)
    implemented_at = models.DateTimeField(null=True, blank=True)
    verification_due = models.DateField(_("verification due"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    verification_notes = models.TextField(_("verification of effectiveness"), blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    round = models.PositiveSmallIntegerField(default=1)
    history = HistoricalRecords()

    objects = NonconformityQuerySet.as_manager()

    class Meta:
        verbose_name = _("nonconformity")
        verbose_name_plural = _("nonconformities")
        ordering = ["-raised_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "reference"], name="nc_reference_unique"),
        ]
        indexes = [
            models.Index(fields=["agency", "status", "severity"], name="nc_dashboard"),
            models.Index(fields=["agency", "raised_at"], name="nc_raised"),
        ]

    def __str__(self):
        return f"{self.reference} · {self.description[:60]}"

    def get_absolute_url(self):
        return reverse("audits:nc", args=[self.pk])


# --- Actions (shared by CAPA, risk treatment and management review) --------------------------


class ActionQuerySet(models.QuerySet):
    def visible_to(self, person):
        """Agency-wide for quality managers, auditors and administrators; otherwise actions the
        person owns or that belong to their departments."""
        if not person.is_authenticated or not person.is_active:
            return self.none()
        if person.is_superuser:
            return self
        if person.is_certifier or person.agency_id is None:
            return self.none()
        mine = self.filter(agency_id=person.agency_id)
        if _sees_whole_agency(person):
            return mine
        return mine.filter(Q(owner=person) | Q(department__in=person.department_ids))

    def open(self):
        return self.filter(status=Action.Status.OPEN)

    def overdue(self, today=None):
        return self.open().filter(due_date__lt=today or timezone.localdate())


class Action(models.Model):
    """Something a named person must do by a date, and the check that it worked.

    One table for every kind of action: corrective actions of a nonconformity, decisions of a
    management review, risk treatments (ISO 9001 6.1.2), later self-assessment improvements.
    """

    class Kind(models.TextChoices):
        CORRECTIVE = "corrective", _("Corrective action")
        REVIEW = "review", _("Management review action")
        RISK = "risk", _("Risk treatment")
        IMPROVEMENT = "improvement", _("Improvement action")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="actions")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    title = models.CharField(_("action"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="actions_owned",
        verbose_name=_("owner"),
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="actions",
        verbose_name=_("department"),
    )
    due_date = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    completion_note = models.TextField(_("what was done"), blank=True)
    verification = models.TextField(_("verification"), blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    nonconformity = models.ForeignKey(
        Nonconformity, on_delete=models.CASCADE, null=True, blank=True, related_name="actions"
    )
    nc_round = models.PositiveSmallIntegerField(default=1)
    review = models.ForeignKey(
        ManagementReview, on_delete=models.CASCADE, null=True, blank=True, related_name="actions"
    )
    risk = models.ForeignKey(
        Risk, on_delete=models.CASCADE, null=True, blank=True, related_name="actions"
    )
    # Other sources (a later self-assessment, a citizen request) name themselves here.
    source_label = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    objects = ActionQuerySet.as_manager()

    class Meta:
        verbose_name = _("action")
        verbose_name_plural = _("actions")
        ordering = ["due_date", "pk"]
        indexes = [models.Index(fields=["agency", "status", "due_date"], name="action_due")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("audits:action", args=[self.pk])

    def is_overdue(self, today=None):
        return self.status == self.Status.OPEN and self.due_date < (today or timezone.localdate())

    @property
    def source_object(self):
        return self.nonconformity or self.review or self.risk


# --- Signatures ----------------------------------------------------------------------------


class ReportSignature(models.Model):
    """An electronic signature on an audit report or management review minutes.

    Same idea as document signatures: the password is re-entered, the printed name, meaning and
    time are recorded, and the digest binds them to the fingerprint of what was signed.
    """

    class Meaning(models.TextChoices):
        LEAD_AUDITOR = "lead_auditor", _("Lead auditor")
        AUDITEE = "auditee", _("Auditee representative")
        CHAIR = "chair", _("Chair of the management review")

    audit = models.ForeignKey(
        Audit, on_delete=models.PROTECT, null=True, blank=True, related_name="signatures"
    )
    review = models.ForeignKey(
        ManagementReview,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signatures",
    )
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    printed_name = models.CharField(_("printed name"), max_length=200)
    meaning = models.CharField(_("meaning"), max_length=16, choices=Meaning.choices)
    signed_at = models.DateTimeField(_("signed at"))
    fingerprint = models.CharField(max_length=64)
    digest = models.CharField(max_length=64, unique=True)
    history = ChainedHistoricalRecords()

    class Meta:
        verbose_name = _("report signature")
        verbose_name_plural = _("report signatures")
        ordering = ["signed_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(audit__isnull=False, review__isnull=True)
                | Q(audit__isnull=True, review__isnull=False),
                name="signature_on_one_report",
            ),
            models.UniqueConstraint(
                fields=["audit", "meaning"],
                condition=Q(audit__isnull=False),
                name="one_audit_signature_per_meaning",
            ),
            models.UniqueConstraint(
                fields=["review", "meaning"],
                condition=Q(review__isnull=False),
                name="one_review_signature_per_meaning",
            ),
        ]

    def __str__(self):
        return f"{self.printed_name} — {self.get_meaning_display()}"

    def compute_digest(self):
        parts = [
            self.fingerprint,
            str(self.signer_id),
            self.printed_name,
            self.meaning,
            self.signed_at.isoformat(),
        ]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()

    def is_intact(self):
        signed = self.audit if self.audit_id else self.review
        return self.fingerprint == signed.fingerprint() and self.digest == self.compute_digest()


# --- Self-assessment (ISO 18091 style): tables in their own module --------------------------

from .assessment_models import (  # noqa: E402, F401
    AssessmentResult,
    AssessmentSignature,
    Indicator,
    SelfAssessment,
    TransparencySettings,
)

# Evidence packs have their own module; imported here so Django registers their tables.
from .packs.models import (  # noqa: E402,F401
    EvidencePack,
    EvidencePackGroupObjectPermission,
    EvidencePackUserObjectPermission,
    PackDownload,
    PackShare,
)
