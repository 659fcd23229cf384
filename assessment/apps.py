from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    """Local-government self-assessment (ISO 18091) and the public transparency page."""

    name = "assessment"
    label = "assessment"
    verbose_name = _("Self-assessment")
