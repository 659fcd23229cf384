from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrganisationConfig(AppConfig):
    """Agency, departments, people and roles: who works where, and who may do what."""

    name = "qms_portal.organisation"
    label = "organisation"
    verbose_name = _("Organisation")

    def ready(self):
        from django.db.models.signals import post_migrate

        from .signals import ensure_role_groups

        post_migrate.connect(ensure_role_groups, dispatch_uid="qms_role_groups")

        from qms_portal.protection import guard_protected_records
        from qms_portal.signatures import protect_signatures

        protect_signatures()
        guard_protected_records()
