"""Template helpers every page has without ``{% load %}`` (TEMPLATES ``builtins``)."""

from django import template

from . import history_reasons
from .statemachine import Tone, machine_for

register = template.Library()


@register.inclusion_tag("partials/status_badge.html")
def status_badge(obj=None, *, label=None, tone=None, field="status"):
    """The one status badge: ``{% status_badge revision %}`` takes the label from the model's
    choices and the tone from its state machine; ``{% status_badge label=… tone=… %}`` for states
    that have no machine (a KPI's green/amber/red)."""
    if obj is not None:
        state = getattr(obj, field)
        display = getattr(obj, f"get_{field}_display", None)
        label = label if label is not None else (display() if display else state)
        machine = machine_for(obj)
        if tone is None:
            tone = machine.tone(state) if machine is not None else Tone.NEUTRAL
    return {"label": label, "tone": tone or Tone.NEUTRAL}


@register.filter
def history_reason(stored):
    """A history row's reason in the reader's language (see :mod:`qms_portal.history_reasons`)."""
    return history_reasons.shown(stored)
