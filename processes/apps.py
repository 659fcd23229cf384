from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProcessesConfig(AppConfig):
    """Process definitions, KPIs, risks and opportunities (ISO 9001 clauses 4.4, 6.1, 9.1)."""

    name = "processes"
    verbose_name = _("Processes")

    def ready(self):
        from . import worklist  # noqa: F401  (registers the home-page provider)
