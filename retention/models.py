"""Retention tables (ISO 9001 7.5.3.2: retention and disposition of documented information).

A retention rule per agency and record type says how long records are kept after their trigger
event; a legal hold keeps one record or a whole record type whatever the rule says; a disposal run
lists what is due, is approved (signed) by someone other than its proposer, and when executed
leaves one disposal record per record disposed of. Changes live in ``workflow.py``; what each
record type is and how it is disposed of lives in ``registry.py``.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qms_portal.audit_trail import ChainedHistoricalRecords
from qms_portal.errors import RuleError
from qms_portal.organisation.models import Agency
from qms_portal.signatures import SignatureBase, digest_of
from qms_portal.visibility import AgencyScopedQuerySet


class RecordType(models.TextChoices):
    """The record types a retention rule covers (their behaviour: ``registry.py``)."""

    DOCUMENTS = "documents", _("Obsolete documents")
    AUDITS = "audits", _("Audits")
    NONCONFORMITIES = "nonconformities", _("Nonconformities")
    REVIEWS = "reviews", _("Management reviews")
    REQUESTS = "requests", _("Citizen service requests")
    PERSONAL_DATA = "personal_data", _("Citizens' personal data on requests")


class Action(models.TextChoices):
    DELETE = "delete", _("Deleted")
    ANONYMISE = "anonymise", _("Personal data erased")


class RetentionQuerySet(AgencyScopedQuerySet):
    """Quality managers, auditors and administrators read their agency's retention records; the
    agency's verification deputy (top management, who may approve runs) too; other staff none."""

    def visible_to_staff(self, mine, person):
        return mine.filter(agency__verification_deputy=person)


class RetentionRule(models.Model):
    """How long one record type is kept in an agency after its trigger event."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="retention_rules")
    record_type = models.CharField(_("record type"), max_length=20, choices=RecordType.choices)
    years = models.PositiveSmallIntegerField(
        _("kept for (years)"),
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_(
            "The portal's defaults are a starting point: set the periods of your own archive "
            "rules (records retention schedule)."
        ),
    )
    trigger_event = models.CharField(
        _("counted from"),
        max_length=200,
        help_text=_("The event the period starts from, as your archive rules name it."),
    )
    history = ChainedHistoricalRecords()

    objects = RetentionQuerySet.as_manager()

    class Meta:
        verbose_name = _("retention rule")
        verbose_name_plural = _("retention rules")
        ordering = ["agency", "record_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "record_type"], name="retention_rule_per_type"
            )
        ]

    def __str__(self):
        return f"{self.get_record_type_display()}: {self.years}"


class LegalHoldQuerySet(RetentionQuerySet):
    def in_force(self):
        return self.filter(released_at__isnull=True)


class LegalHold(models.Model):
    """Keeps one record (``object_id``) or every record of a type (no ``object_id``) whatever
    the retention rule says, until released. Released holds stay as records."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="legal_holds")
    record_type = models.CharField(_("record type"), max_length=20, choices=RecordType.choices)
    object_id = models.PositiveBigIntegerField(_("record"), null=True, blank=True)
    object_label = models.CharField(_("record"), max_length=300, blank=True)
    reason = models.TextField(_("reason"), max_length=2000)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    placed_at = models.DateTimeField(_("placed"), default=timezone.now)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    released_at = models.DateTimeField(_("released"), null=True, blank=True)
    release_reason = models.TextField(_("reason for release"), max_length=2000, blank=True)
    history = ChainedHistoricalRecords()

    objects = LegalHoldQuerySet.as_manager()

    class Meta:
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        ordering = ["-placed_at", "-pk"]

    def __str__(self):
        return f"{self.get_record_type_display()}: {self.object_label or _('all records')}"

    @property
    def is_in_force(self):
        return self.released_at is None

    @property
    def covers_whole_type(self):
        return self.object_id is None


class DisposalRun(models.Model):
    """One disposal of due records: proposed, approved by another person, executed."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed, waiting for approval")
        APPROVED = "approved", _("Approved, waiting to be executed")
        COMPLETED = "completed", _("Completed")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="disposal_runs")
    reference = models.CharField(_("reference"), max_length=30)
    record_types = models.JSONField(_("record types"), default=list)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED
    )
    due_on = models.DateField(_("due on or before"))
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(_("proposed"), default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    executed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    executed_at = models.DateTimeField(_("executed"), null=True, blank=True)
    history = ChainedHistoricalRecords()

    objects = RetentionQuerySet.as_manager()

    class Meta:
        verbose_name = _("disposal run")
        verbose_name_plural = _("disposal runs")
        ordering = ["-proposed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "reference"], name="disposal_run_reference")
        ]

    def __str__(self):
        return self.reference

    def get_absolute_url(self):
        return reverse("retention:run", args=[self.pk])

    def record_type_labels(self):
        return [RecordType(code).label for code in RecordType.values if code in self.record_types]

    def fingerprint(self):
        """What the approval signs: the run and exactly the records it lists, by identity."""
        parts = [str(self.pk), self.reference, str(self.due_on)]
        parts += [
            f"{c.record_type}|{c.object_id}|{c.reference}|{c.rule_years}"
            for c in self.candidates.order_by("pk")
        ]
        return digest_of(parts)


class DisposalCandidate(models.Model):
    """A record a run lists as due, and what became of it when the run was executed."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("To be disposed of")
        DISPOSED = "disposed", _("Disposed of")
        SKIPPED = "skipped", _("Kept")

    run = models.ForeignKey(DisposalRun, on_delete=models.PROTECT, related_name="candidates")
    record_type = models.CharField(_("record type"), max_length=20, choices=RecordType.choices)
    object_id = models.PositiveBigIntegerField()
    reference = models.CharField(_("record"), max_length=120)
    title = models.CharField(_("title"), max_length=300, blank=True)
    trigger_date = models.DateField(_("trigger date"))
    rule_years = models.PositiveSmallIntegerField(_("kept for (years)"))
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.PENDING
    )
    skip_reason = models.CharField(_("why it was kept"), max_length=500, blank=True)
    history = ChainedHistoricalRecords()

    class Meta:
        verbose_name = _("record due for disposal")
        verbose_name_plural = _("records due for disposal")
        ordering = ["run", "record_type", "trigger_date", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "record_type", "object_id"], name="disposal_candidate_once"
            )
        ]

    def __str__(self):
        return f"{self.run.reference}: {self.reference}"


class DisposalApproval(SignatureBase):
    """The electronic signature approving a run: bound to the run's fingerprint (its list)."""

    class Meaning(models.TextChoices):
        APPROVED = "approved", _("Disposal approved")

    run = models.ForeignKey(DisposalRun, on_delete=models.PROTECT, related_name="approvals")
    meaning = models.CharField(_("meaning"), max_length=10, choices=Meaning.choices)
    run_fingerprint = models.CharField(max_length=64)
    history = ChainedHistoricalRecords()

    fingerprint_field = "run_fingerprint"

    class Meta(SignatureBase.Meta):
        verbose_name = _("disposal approval")
        verbose_name_plural = _("disposal approvals")
        constraints = [
            models.UniqueConstraint(fields=["run", "meaning"], name="one_approval_per_run")
        ]

    def signed_fingerprint(self):
        return self.run.fingerprint()


class DisposalRecordIsFinal(RuleError):
    """A disposal record is the evidence that a record was disposed of: never changed, never
    removed."""


def _record_is_final():
    return DisposalRecordIsFinal(
        _(
            "Disposal records, disposal runs and legal holds are kept for good: they are never "
            "removed, and a disposal record is never changed."
        )
    )


class DisposalRecord(models.Model):
    """What was disposed of, when, by whom, under which rule (never the personal data itself)."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="disposal_records")
    run = models.ForeignKey(DisposalRun, on_delete=models.PROTECT, related_name="records")
    record_type = models.CharField(_("record type"), max_length=20, choices=RecordType.choices)
    object_id = models.PositiveBigIntegerField(_("record id"))
    reference = models.CharField(_("record"), max_length=120)
    title = models.CharField(_("title"), max_length=300, blank=True)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    rule = models.ForeignKey(
        RetentionRule, on_delete=models.PROTECT, related_name="+", verbose_name=_("rule")
    )
    rule_years = models.PositiveSmallIntegerField(_("kept for (years)"))
    trigger_event = models.CharField(_("counted from"), max_length=200)
    trigger_date = models.DateField(_("trigger date"))
    disposed_at = models.DateTimeField(_("disposed of"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    executed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    history = ChainedHistoricalRecords()

    objects = RetentionQuerySet.as_manager()

    class Meta:
        verbose_name = _("disposal record")
        verbose_name_plural = _("disposal records")
        ordering = ["-disposed_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=["delete", "anonymise"]), name="disposal_record_action"
            )
        ]

    def __str__(self):
        return f"{self.reference} ({self.get_action_display()})"

    def save(self, *args, **kwargs):
        """Written once, by the run that disposed of the record; a later save is refused."""
        if not self._state.adding:
            raise _record_is_final()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise _record_is_final()
