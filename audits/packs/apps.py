from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PacksConfig(AppConfig):
    """Certification evidence packs for external certifiers (ISO 9001 7.5, 9.2, 9.3 as evidence)."""

    name = "audits.packs"
    label = "packs"
    verbose_name = _("Evidence packs")
