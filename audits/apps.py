from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditsConfig(AppConfig):
    """Internal audits, nonconformities, corrective actions, management review, evidence packs (ISO 9001 clauses 9.2, 9.3, 10.2)."""

    name = "audits"
    verbose_name = _("Audits and improvement")

    def ready(self):
        from . import worklist  # noqa: F401  (registers the home-page provider)
