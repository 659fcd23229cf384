from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewConfig(AppConfig):
    """Management review: inputs gathered from the period, minutes, decisions (ISO 9001 9.3)."""

    name = "audits.review"
    label = "review"
    verbose_name = _("Management review")
