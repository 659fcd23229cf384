"""Nonconformities, their corrective actions, and the shared action table (ISO 9001 10.2, 6.1.2).

Tables, constraints and the visibility rules (``QuerySet.visible_to``). State changes live in
``workflow.py``. Tables keep the names they had in the ``audits`` app (``Meta.db_table``).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from processes.models import Clause, Kpi, Measurement, Process, Risk
from qms_portal.audit_trail import TableNamedHistoricalRecords
from qms_portal.organisation.models import Agency, Department
from qms_portal.organisation.roles import Role
from qms_portal.visibility import AgencyScopedQuerySet
from qms_portal.voiding import Voidable, in_force_manager

from ..auditing.models import Audit, ChecklistItem, VisibleQuerySet
from ..review.models import ManagementReview


def verification_wait_days():
    """Days between implementing corrective actions and verifying their effectiveness."""
    return int(getattr(settings, "QMS_CAPA_VERIFICATION_WAIT_DAYS", 30))


def escalation_after_days():
    """Days an action may be overdue before the quality managers are told."""
    return int(getattr(settings, "QMS_ACTION_ESCALATION_DAYS", 14))


# --- Nonconformities -----------------------------------------------------------------------


class NonconformityQuerySet(VisibleQuerySet):
    closed_statuses = ("closed",)

    def _involving(self, person):
        """Records naming the person, and for the agency's verification deputy the
        nonconformities of quality managers, which they may be asked to verify."""
        deputy_of = Q(agency__verification_deputy=person, owner__groups__name=Role.QUALITY_MANAGER)
        return Q(owner=person) | Q(raised_by=person) | Q(actions__owner=person) | deputy_of

    def open(self):
        return self.exclude(status=Nonconformity.Status.CLOSED)

    def in_register_status(self, status):
        """The register's status filter over all records: ``void`` lists the void ones (kept,
        listed on asking), ``open`` those not closed, a status its own; void ones only under
        ``void`` (every figure leaves them out)."""
        if status == "void":
            return self.filter(voided_at__isnull=False)
        in_force = self.filter(voided_at__isnull=True)
        if status == "open":
            return in_force.open()
        return in_force.filter(status=status) if status else in_force


class Nonconformity(Voidable):
    """A nonconformity and its corrective action (ISO 9001 10.2); one raised in error is voided."""

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
    history = TableNamedHistoricalRecords(table_name="audits_historicalnonconformity")

    #: Set by the CAPA workflow's steps (and the reference sequence) only.
    workflow_fields = (
        "agency",
        "reference",
        "status",
        "round",
        "implemented_at",
        "verification_due",
        "verified_by",
        "verified_at",
        "verification_notes",
        "closed_at",
    )

    objects = in_force_manager(NonconformityQuerySet)
    all_records = NonconformityQuerySet.as_manager()

    class Meta:
        db_table = "audits_nonconformity"
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
        return reverse("capa:nc", args=[self.pk])

    def is_protected(self):
        """Closed: effectiveness verified (ISO 9001 10.2.2 retained information)."""
        return self.status == self.Status.CLOSED

    @property
    def is_awaiting_verification(self):
        """Implemented: the corrective actions wait for the check of their effectiveness."""
        return self.status == self.Status.IMPLEMENTED

    def may_be_verified_on(self, today=None):
        """The waiting period after implementation is over (or there is none)."""
        return not self.verification_due or (today or timezone.localdate()) >= self.verification_due

    @property
    def verification_waits(self):
        """Awaiting verification, but the actions still have time to work (the page says until
        when)."""
        return self.is_awaiting_verification and not self.may_be_verified_on()


# --- Actions (shared by CAPA, risk treatment and management review) --------------------------


class ActionQuerySet(AgencyScopedQuerySet):
    """Agency-wide for quality managers, auditors and administrators; otherwise actions the
    person owns or that belong to their departments; nothing for a certifier."""

    def visible_to_staff(self, mine, person):
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
    history = TableNamedHistoricalRecords(table_name="audits_historicalaction")

    workflow_fields = (
        "status",
        "completed_at",
        "completion_note",
        "verification",
        "verified_by",
        "verified_at",
        "escalated_at",
    )

    objects = ActionQuerySet.as_manager()

    class Meta:
        db_table = "audits_action"
        verbose_name = _("action")
        verbose_name_plural = _("actions")
        ordering = ["due_date", "pk"]
        indexes = [models.Index(fields=["agency", "status", "due_date"], name="action_due")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("capa:action", args=[self.pk])

    def is_protected(self):
        """Done or cancelled: what was done, and its check, are recorded."""
        return self.status != self.Status.OPEN

    @property
    def is_open(self):
        return self.status == self.Status.OPEN

    def is_overdue(self, today=None):
        return self.is_open and self.due_date < (today or timezone.localdate())

    @property
    def awaits_verification(self):
        """Done, and no one has yet recorded the check that it worked."""
        return self.status == self.Status.DONE and self.verified_at is None

    @property
    def source_object(self):
        return self.nonconformity or self.review or self.risk
