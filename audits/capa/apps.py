from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CapaConfig(AppConfig):
    """Nonconformities, corrective actions and the shared actions (ISO 9001 10.2, 6.1.2)."""

    name = "audits.capa"
    label = "capa"
    verbose_name = _("Nonconformities")
