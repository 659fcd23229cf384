from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditingConfig(AppConfig):
    """Internal audits: programme, audits, checklists, signed reports (ISO 9001 9.2)."""

    name = "audits.auditing"
    label = "auditing"
    verbose_name = _("Audits")
