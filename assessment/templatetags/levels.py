"""The traffic-light level of an indicator as the portal's one badge (no literal in templates)."""

from django import template
from django.utils.translation import gettext_lazy as _

from ..models import Level

register = template.Library()

#: Short labels of the levels, for badges (the choices carry the long ones).
SHORT_LABELS = {Level.GREEN: _("Green"), Level.YELLOW: _("Yellow"), Level.RED: _("Red")}


@register.inclusion_tag("partials/status_badge.html")
def level_badge(level):
    """``{% level_badge result.level %}``: the level's colour and short label, or "Not assessed"."""
    if not level:
        return {"label": _("Not assessed"), "tone": ""}
    return {"label": SHORT_LABELS[Level(level)], "tone": f"level-{level}"}
