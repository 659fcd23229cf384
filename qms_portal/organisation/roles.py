"""The portal's roles. Each role is a Django group of the same name, created by a migration."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    STAFF = "Department staff", _("Department staff")
    QUALITY_MANAGER = "Quality manager", _("Quality manager")
    AUDITOR = "Auditor", _("Auditor")
    CERTIFIER = "Certifier", _("Certifier")
    ADMINISTRATOR = "Administrator", _("Administrator")


#: Roles held by the agency's own people (a certifier is external).
INTERNAL_ROLES = frozenset({Role.STAFF, Role.QUALITY_MANAGER, Role.AUDITOR, Role.ADMINISTRATOR})
