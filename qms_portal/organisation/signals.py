"""Keep the role groups and their model permissions in step with the installed apps."""

from django.apps import apps as global_apps

from .roles import Role

PORTAL_APPS = (
    "organisation",
    "documents",
    "processes",
    "auditing",
    "review",
    "capa",
    "packs",
    "assessment",
    "services",
)

#: Model permissions each role holds everywhere (object rules narrow them down further).
ROLE_PERMISSIONS = {
    Role.ADMINISTRATOR: ("add", "change", "delete", "view"),
    Role.QUALITY_MANAGER: ("view",),
    Role.AUDITOR: ("view",),
    Role.STAFF: (),
    Role.CERTIFIER: (),
}


def ensure_role_groups(sender=None, apps=global_apps, using="default", **kwargs):
    """Create the five role groups; give administrators every portal model permission."""
    if sender is not None and getattr(sender, "label", None) not in PORTAL_APPS:
        return
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, actions in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.using(using).get_or_create(name=role.value)
        if not actions:
            continue
        wanted = Permission.objects.using(using).filter(content_type__app_label__in=PORTAL_APPS)
        wanted = [p for p in wanted if p.codename.split("_", 1)[0] in actions]
        missing = set(wanted) - set(group.permissions.all())
        if missing:
            group.permissions.add(*missing)
