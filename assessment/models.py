"""Local-government self-assessment (ISO 18091 style) and what an agency publishes about it.

An agency keeps its own indicator catalogue in four areas; once a year it rates itself on every
indicator (red / yellow / green) with reasons and evidence from the portal, the named approver
signs, and red indicators become improvement actions. State changes live in
``workflow.py``. Tables keep the names they had in the ``audits`` app (``Meta.db_table``).
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from documents.models import Document
from processes.models import Measurement
from qms_portal.audit_trail import ChainedHistoricalRecords, TableNamedHistoricalRecords
from qms_portal.organisation.models import Agency, Department
from qms_portal.signatures import SignatureBase, digest_of
from qms_portal.visibility import AgencyScopedQuerySet


def _in_reader_language(zh, en):
    if (get_language() or "").startswith("zh"):
        return zh or en
    return en or zh


class Area(models.TextChoices):
    GOVERNANCE = "governance", _("Institutional development for good governance")
    ECONOMIC = "economic", _("Sustainable economic development")
    SOCIAL = "social", _("Inclusive social development")
    ENVIRONMENT = "environment", _("Sustainable environmental development")


class Level(models.TextChoices):
    RED = "red", _("Red: undesirable")
    YELLOW = "yellow", _("Yellow: minimum acceptable")
    GREEN = "green", _("Green: acceptable")


#: Points per level, for area scores and the radar (green 2, yellow 1, red 0).
LEVEL_POINTS = {Level.RED: 0, Level.YELLOW: 1, Level.GREEN: 2}


class DataSource(models.TextChoices):
    NONE = "", _("No portal data (assessed by judgement)")
    SERVICE_ON_TIME = "service_on_time", _("Service commitments met on time (%)")
    SATISFACTION = "satisfaction", _("Citizen satisfaction (average rating 1–5)")
    OPEN_NONCONFORMITIES = "open_nonconformities", _("Open nonconformities (count)")
    # xgettext:no-python-format
    KPI_RED_SHARE = "kpi_red_share", _("KPIs in red (% of measured KPIs)")
    DOCUMENTS_OVERDUE = "documents_overdue", _("Documents overdue for review (count)")
    ACTIONS_OVERDUE = "actions_overdue", _("Actions overdue (count)")


class _AgencyQuerySet(AgencyScopedQuerySet):
    """The agency's own people (not external certifiers) see its self-assessment: the kernel's
    preamble as it stands (a certifier sees none, staff the whole agency)."""


class IndicatorQuerySet(_AgencyQuerySet):
    def active(self):
        return self.filter(is_active=True)


class Indicator(models.Model):
    """One indicator of an agency's catalogue, with its responsible departments and thresholds."""

    class Direction(models.TextChoices):
        HIGHER = "higher", _("Higher is better")
        LOWER = "lower", _("Lower is better")

    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="indicators", verbose_name=_("agency")
    )
    code = models.CharField(_("code"), max_length=10)
    area = models.CharField(_("area"), max_length=12, choices=Area.choices)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    departments = models.ManyToManyField(
        Department,
        blank=True,
        related_name="indicators",
        verbose_name=_("responsible departments"),
        db_table="audits_indicator_departments",
    )
    data_source = models.CharField(
        _("portal data"), max_length=24, choices=DataSource.choices, blank=True, default=""
    )
    direction = models.CharField(
        _("direction"), max_length=8, choices=Direction.choices, default=Direction.HIGHER
    )
    green_threshold = models.DecimalField(
        _("green from"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("The figure is green at this value or better."),
    )
    red_threshold = models.DecimalField(
        _("red beyond"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("The figure is red when worse than this value; in between it is yellow."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    history = TableNamedHistoricalRecords(
        table_name="audits_historicalindicator", m2m_fields=[departments]
    )

    objects = IndicatorQuerySet.as_manager()

    class Meta:
        db_table = "audits_indicator"
        verbose_name = _("self-assessment indicator")
        verbose_name_plural = _("self-assessment indicators")
        ordering = ["agency", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "code"], name="indicator_code_unique"),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def name(self):
        return _in_reader_language(self.name_zh, self.name_en)

    @property
    def description(self):
        return _in_reader_language(self.description_zh, self.description_en)

    @property
    def proposes(self):
        """True when portal data and both thresholds are there to propose a level."""
        return bool(self.data_source) and None not in (self.green_threshold, self.red_threshold)


class SelfAssessmentQuerySet(_AgencyQuerySet):
    def approved(self):
        return self.filter(status=SelfAssessment.Status.APPROVED)


class SelfAssessment(models.Model):
    """An agency's yearly self-assessment: draft → under review → approved (signed)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        UNDER_REVIEW = "under_review", _("Under review")
        APPROVED = "approved", _("Approved")

    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="self_assessments", verbose_name=_("agency")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    status = models.CharField(
        _("status"), max_length=14, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="assessments_coordinated",
        verbose_name=_("coordinator"),
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="assessments_to_approve",
        verbose_name=_("approver"),
    )
    summary = models.TextField(_("summary"), blank=True)
    figures = models.JSONField(_("portal figures"), default=dict, blank=True)
    figures_at = models.DateTimeField(_("figures gathered"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    history = ChainedHistoricalRecords(table_name="audits_historicalselfassessment")

    workflow_fields = ("agency", "status", "approved_at", "figures", "figures_at")

    objects = SelfAssessmentQuerySet.as_manager()

    class Meta:
        db_table = "audits_selfassessment"
        verbose_name = _("self-assessment")
        verbose_name_plural = _("self-assessments")
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "year"], name="self_assessment_one_per_year")
        ]

    def __str__(self):
        return str(_("Self-assessment %(year)s") % {"year": self.year})

    def get_absolute_url(self):
        return reverse("assessment:detail", args=[self.pk])

    def is_protected(self):
        """Approved and signed."""
        return self.status == self.Status.APPROVED

    @property
    def accepts_levels(self):
        """Levels are recorded (and results edited) while the assessment is a draft."""
        return self.status == self.Status.DRAFT

    @property
    def period(self):
        from datetime import date

        return date(self.year, 1, 1), date(self.year, 12, 31)

    def fingerprint(self):
        """Hash of what was assessed; the approval signature is bound to it."""
        rows = self.results.order_by("indicator__code").values_list(
            "indicator__code", "level", "proposed_level", "reasons", "override_reason"
        )
        parts = [str(self.pk), str(self.agency_id), str(self.year), self.summary]
        parts += ["|".join(str(v) for v in row) for row in rows]
        return digest_of(parts)


class AssessmentResult(models.Model):
    """The level of one indicator in one assessment, why, on what evidence, and who said so."""

    assessment = models.ForeignKey(SelfAssessment, on_delete=models.CASCADE, related_name="results")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="results")
    level = models.CharField(_("level"), max_length=6, choices=Level.choices, blank=True)
    proposed_level = models.CharField(
        _("proposed level"), max_length=6, choices=Level.choices, blank=True
    )
    figure = models.DecimalField(
        _("portal figure"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    reasons = models.TextField(_("reasons"), blank=True)
    override_reason = models.TextField(_("reason for differing from the proposal"), blank=True)
    evidence_documents = models.ManyToManyField(
        Document,
        blank=True,
        related_name="+",
        verbose_name=_("documents"),
        db_table="audits_assessmentresult_evidence_documents",
    )
    evidence_measurements = models.ManyToManyField(
        Measurement,
        blank=True,
        related_name="+",
        verbose_name=_("KPI results"),
        db_table="audits_assessmentresult_evidence_measurements",
    )
    evidence_findings = models.ManyToManyField(
        "capa.Nonconformity",
        blank=True,
        related_name="+",
        verbose_name=_("audit findings"),
        db_table="audits_assessmentresult_evidence_findings",
    )
    evidence_services = models.ManyToManyField(
        "services.Service",
        blank=True,
        related_name="+",
        verbose_name=_("service statistics"),
        db_table="audits_assessmentresult_evidence_services",
    )
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assessor"),
    )
    assessed_at = models.DateTimeField(_("assessed"), null=True, blank=True)
    action = models.OneToOneField(
        "capa.Action",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assessment_result",
    )
    history = TableNamedHistoricalRecords(
        table_name="audits_historicalassessmentresult",
        m2m_fields=[
            evidence_documents,
            evidence_measurements,
            evidence_findings,
            evidence_services,
        ],
    )

    class Meta:
        db_table = "audits_assessmentresult"
        verbose_name = _("self-assessment result")
        verbose_name_plural = _("self-assessment results")
        ordering = ["assessment", "indicator__position", "indicator__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "indicator"], name="assessment_result_once"
            )
        ]

    def __str__(self):
        return f"{self.assessment} · {self.indicator.code}"

    def get_absolute_url(self):
        return reverse("assessment:result_edit", args=[self.pk])

    def is_protected(self):
        """Part of an approved (signed) self-assessment."""
        return self.assessment.is_protected()

    @property
    def is_override(self):
        return bool(self.proposed_level and self.level and self.level != self.proposed_level)


class AssessmentSignature(SignatureBase):
    """The approver's signature: password re-entered, printed name and meaning, bound to a hash."""

    class Meaning(models.TextChoices):
        APPROVED = "approved", _("Approved")

    assessment = models.ForeignKey(
        SelfAssessment, on_delete=models.PROTECT, related_name="signatures"
    )
    meaning = models.CharField(_("meaning"), max_length=10, choices=Meaning.choices)
    fingerprint = models.CharField(max_length=64)
    history = ChainedHistoricalRecords(table_name="audits_historicalassessmentsignature")

    class Meta(SignatureBase.Meta):
        db_table = "audits_assessmentsignature"
        verbose_name = _("self-assessment signature")
        verbose_name_plural = _("self-assessment signatures")
        ordering = ["signed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "meaning"], name="one_assessment_signature_per_meaning"
            )
        ]

    def signed_fingerprint(self):
        return self.assessment.fingerprint()


class TransparencySettings(models.Model):
    """What an agency shows on its public transparency page beyond what is public already."""

    agency = models.OneToOneField(
        Agency, on_delete=models.CASCADE, related_name="transparency", verbose_name=_("agency")
    )
    publish_self_assessment = models.BooleanField(
        _("publish the latest approved self-assessment"), default=False
    )
    policy_statement_zh = models.TextField(
        _("quality policy statement (Chinese)"),
        blank=True,
        help_text=_("Leave empty to show the effective public policy document."),
    )
    policy_statement_en = models.TextField(_("quality policy statement (English)"), blank=True)
    history = TableNamedHistoricalRecords(table_name="audits_historicaltransparencysettings")

    class Meta:
        db_table = "audits_transparencysettings"
        verbose_name = _("transparency page settings")
        verbose_name_plural = _("transparency page settings")

    def __str__(self):
        return str(self.agency)
