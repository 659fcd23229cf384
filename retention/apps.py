from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RetentionConfig(AppConfig):
    """Retention schedules, legal holds and approved disposal runs (ISO 9001 7.5.3.2)."""

    name = "retention"
    verbose_name = _("Retention and disposal")

    def ready(self):
        from . import signals, workflow  # noqa: F401 - the run's machine and the record guards

        signals.connect()
