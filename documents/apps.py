from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    """Controlled documents and their revisions (ISO 9001 clause 7.5)."""

    name = "documents"
    verbose_name = _("Document control")

    def ready(self):
        from . import (
            workflow,  # noqa: F401 - registers the revision machine (status badge)
            worklist,  # noqa: F401 - registers the home-page provider
        )
