"""Voiding, declared once: a record made in error is kept, shown as void and left out of figures.

A KPI value entered twice, a nonconformity raised against the wrong department: deleting them
would leave a gap nobody can explain to a certification auditor, and editing them in the admin
would rewrite a record. Instead the portal *voids* the record — who, when, why — and keeps it.

A voidable model subclasses :class:`Voidable` and declares two managers, the figures' first::

    objects = in_force_manager(MeasurementQuerySet)     # every count, chart, export, input
    all_records = MeasurementQuerySet.as_manager()      # pages that show void rows, marked

so every figure excludes void records by default (related managers and subqueries included) and
only a page that means to show them asks ``all_records``. A void record is protected
(:mod:`qms_portal.protection`) and takes no further workflow step (:mod:`qms_portal.statemachine`).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from .errors import RuleError
from .history_reasons import reason as reason_with
from .statemachine import save_with_history

#: The history reason of every voiding, followed by the person's own reason.
VOIDED = gettext_noop("Voided")


class InForceManager(models.Manager):
    """Records that are not void: the default manager of a voidable model."""

    def get_queryset(self):
        return super().get_queryset().filter(voided_at__isnull=True)


def in_force_manager(queryset_class):
    """The default manager of a voidable model, with its own queryset's methods."""
    return InForceManager.from_queryset(queryset_class)()


class Voidable(models.Model):
    """Who voided the record, when and why; empty while it is in force."""

    voided_at = models.DateTimeField(_("voided"), null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("voided by"),
    )
    void_reason = models.TextField(_("reason for voiding"), blank=True)

    class Meta:
        abstract = True

    @property
    def is_void(self):
        return self.voided_at is not None


def void_record(record, *, actor, reason, error=RuleError):
    """Void ``record`` (locked by the caller) for ``reason``: kept, marked, history written.

    Refused with ``error`` when no reason is given or the record is void already."""
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise error(
            gettext("Say why the record is void; the reason is kept with it and in history.")
        )
    if record.is_void:
        raise error(gettext("This record is void already."))
    record.voided_at = timezone.now()
    record.voided_by = actor
    record.void_reason = reason
    return save_with_history(
        record,
        actor=actor,
        reason=reason_with(VOIDED, reason),
        update_fields=["voided_at", "voided_by", "void_reason"],
    )


void_record.alters_data = True
