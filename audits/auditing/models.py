"""Internal audits: the yearly programme, audits with their checklists and evidence, and the
signatures on audit reports and management review minutes (ISO 9001 9.2).

Tables, constraints and the visibility rules (``QuerySet.visible_to``). State changes live in
``workflow.py``; these models hold no rules beyond constraints and small derived properties.
Tables keep the names they had in the ``audits`` app (``Meta.db_table``).
"""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from processes.models import Clause, Process
from qms_portal.audit_trail import ChainedHistoricalRecords, TableNamedHistoricalRecords
from qms_portal.organisation.models import Agency, Department
from qms_portal.signatures import SignatureBase
from qms_portal.visibility import AgencyScopedQuerySet


def audit_cycle_months():
    """Length of the audit cycle in months (every process and clause audited once per cycle)."""
    return int(getattr(settings, "QMS_AUDIT_CYCLE_MONTHS", 12))


def _shared_departments(person):
    from qms_portal.organisation.models import DepartmentUserObjectPermission

    return DepartmentUserObjectPermission.objects.filter(
        user=person, permission__codename="view_department"
    ).values("content_object_id")


class VisibleQuerySet(AgencyScopedQuerySet):
    """Visibility shared by audits and nonconformities: a department-owned record.

    Quality managers, auditors and administrators see their whole agency; staff see records of
    their departments (and records naming them, see ``_involving``); a certifier sees closed
    records of departments shared with them.
    """

    department_field = "department"
    closed_statuses = ()

    def _involving(self, person):
        return Q(pk__in=[])

    def visible_to_certifier(self, person):
        return self.filter(
            **{f"{self.department_field}__in": _shared_departments(person)},
            status__in=self.closed_statuses,
        )

    def visible_to_staff(self, mine, person):
        return mine.filter(
            Q(**{f"{self.department_field}__in": person.department_ids}) | self._involving(person)
        ).distinct()


# --- Audit programme and audits ------------------------------------------------------------


class AuditProgrammeQuerySet(AgencyScopedQuerySet):
    """The whole agency reads its programmes; a certifier none (programmes are internal)."""


class AuditProgramme(models.Model):
    """The yearly audit programme of an agency (ISO 9001 9.2.2 a)."""

    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="audit_programmes", verbose_name=_("agency")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    title = models.CharField(_("title"), max_length=200)
    objectives = models.TextField(_("objectives"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    history = TableNamedHistoricalRecords(table_name="audits_historicalauditprogramme")

    objects = AuditProgrammeQuerySet.as_manager()

    class Meta:
        db_table = "audits_auditprogramme"
        verbose_name = _("audit programme")
        verbose_name_plural = _("audit programmes")
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "year"], name="audit_programme_one_per_year")
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("auditing:programme", args=[self.pk])

    @property
    def cycle_start(self):
        return timezone.datetime(self.year, 1, 1).date()

    @property
    def cycle_end(self):
        """Last day of the cycle that starts with the programme year (cycle length a setting)."""
        months = audit_cycle_months()
        year, month = divmod(months, 12)
        return timezone.datetime(self.year + year, 1 + month, 1).date() - timedelta(days=1)


class AuditQuerySet(VisibleQuerySet):
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
        Process,
        blank=True,
        related_name="audits",
        verbose_name=_("processes in scope"),
        db_table="audits_audit_processes",
    )
    clauses = models.ManyToManyField(
        Clause,
        blank=True,
        related_name="audits",
        verbose_name=_("criteria (ISO 9001 clauses)"),
        db_table="audits_audit_clauses",
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
        db_table="audits_audit_team",
    )
    auditees = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="audits_as_auditee",
        verbose_name=_("auditees"),
        db_table="audits_audit_auditees",
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
    history = ChainedHistoricalRecords(
        table_name="audits_historicalaudit", m2m_fields=[processes, clauses, team, auditees]
    )

    workflow_fields = ("reference", "agency", "status", "actual_start", "actual_end", "summary")

    objects = AuditQuerySet.as_manager()

    class Meta:
        db_table = "audits_audit"
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
        return reverse("auditing:audit", args=[self.pk])

    def is_protected(self):
        """Reported or closed: the findings are final and the report is (being) signed."""
        return self.status in (self.Status.REPORTING, self.Status.CLOSED)

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
    history = TableNamedHistoricalRecords(table_name="audits_historicalchecklistitem")

    workflow_fields = ("audit", "result", "evidence", "assessed_by", "assessed_at")

    class Meta:
        db_table = "audits_checklistitem"
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

    def is_protected(self):
        """Part of a reported or closed audit (the signed report is bound to its results)."""
        return self.audit.is_protected()

    @property
    def is_removable(self):
        """No result and no evidence yet: the question may be taken off the checklist."""
        return not self.result and not self.attachments.all()

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
    history = TableNamedHistoricalRecords(table_name="audits_historicalevidence")

    class Meta:
        db_table = "audits_evidence"
        verbose_name = _("audit evidence")
        verbose_name_plural = _("audit evidence")
        ordering = ["uploaded_at"]

    def __str__(self):
        return self.original_filename

    def is_protected(self):
        """Evidence of a reported or closed audit's findings."""
        return self.item.is_protected()


# --- Signatures ----------------------------------------------------------------------------


class ReportSignature(SignatureBase):
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
        "review.ManagementReview",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signatures",
    )
    meaning = models.CharField(_("meaning"), max_length=16, choices=Meaning.choices)
    fingerprint = models.CharField(max_length=64)
    history = ChainedHistoricalRecords(table_name="audits_historicalreportsignature")

    class Meta(SignatureBase.Meta):
        db_table = "audits_reportsignature"
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

    def signed_fingerprint(self):
        signed = self.audit if self.audit_id else self.review
        return signed.fingerprint()
