from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    """Citizen service requests: catalogue, tracking, staff workflow, Open311 GeoReport v2."""

    name = "services"
    verbose_name = _("Citizen services")

    def ready(self):
        from . import worklist  # noqa: F401 - registers the home-page provider
