"""Management review: the meeting, its inputs and its minutes (ISO 9001 9.3).

Tables keep the names they had in the ``audits`` app (``Meta.db_table``). The minutes' signatures
are ``auditing.ReportSignature`` rows; the decisions' actions are ``capa.Action`` rows.
"""

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qms_portal.audit_trail import ChainedHistoricalRecords
from qms_portal.organisation.models import Agency
from qms_portal.visibility import AgencyScopedQuerySet

# --- Management review ---------------------------------------------------------------------


class ManagementReviewQuerySet(AgencyScopedQuerySet):
    """Quality managers, auditors and administrators of the agency; the chair and attendees."""

    def visible_to_staff(self, mine, person):
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
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="reviews_attended",
        db_table="audits_managementreview_attendees",
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
    history = ChainedHistoricalRecords(
        table_name="audits_historicalmanagementreview", m2m_fields=[attendees]
    )

    #: Gathered and signed through the review workflow only.
    workflow_fields = ("agency", "status", "inputs", "inputs_gathered_at")

    objects = ManagementReviewQuerySet.as_manager()

    class Meta:
        db_table = "audits_managementreview"
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
        return reverse("review:review", args=[self.pk])

    def is_protected(self):
        """Minutes signed: the record of the review (ISO 9001 9.3.3)."""
        return self.status == self.Status.SIGNED

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
