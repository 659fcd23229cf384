from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditsConfig(AppConfig):
    """Audits and improvement (ISO 9001 9.2, 9.3, 10.2): what spans the domains it holds.

    The domains are apps of their own, sub-packages of this one: ``auditing`` (internal audits),
    ``capa`` (nonconformities and actions), ``review`` (management review) and ``packs``
    (certification evidence packs). This app keeps the quality manager's dashboard, the home-page
    worklist, the shared sub-navigation and the translation catalogue of all of them.
    """

    name = "audits"
    verbose_name = _("Audits and improvement")

    def ready(self):
        from . import worklist  # noqa: F401  (registers the home-page provider)
