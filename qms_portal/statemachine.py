"""State machines declared once: which steps a record allows in which state, and who may take them.

Every domain (revisions, requests, audits, nonconformities, reviews, packs, assessments…) declares
its machine as a table next to its workflow functions::

    MACHINE = StateMachine(
        Transition("submit", sources=[Status.DRAFT], target=Status.IN_REVIEW,
                   label=gettext_lazy("submitted for review"), allowed=access.can_edit),
        …,
        tones={Status.EFFECTIVE: Tone.OK, Status.OBSOLETE: Tone.BAD},
        describe=lambda revision: f"{revision.document.number} {revision.label}",
    )

and each workflow function locks the row, then calls ``MACHINE.require(obj, "submit", actor)`` and
``MACHINE.move(obj, "submit", actor=…, reason=…)``. Pages ask ``MACHINE.available(obj, person)``
which steps to offer, so a template never compares a status literal and a button is shown exactly
when the workflow would accept it. A *step* with no target (``target=None``) is an action that
keeps the state (attach evidence, add an update) but is offered and checked the same way.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from .errors import RuleError

#: model class → its machine; filled as workflow modules are imported (each app's ready() does).
_MACHINES = {}


def machine_for(obj_or_model):
    """The machine declared for a record's model (for the status badge), or ``None``."""
    model = obj_or_model if isinstance(obj_or_model, type) else type(obj_or_model)
    for klass in model.__mro__:
        if klass in _MACHINES:
            return _MACHINES[klass]
    return None


class Tone:
    """How a state looks in the one status badge (``templates/partials/status_badge.html``)."""

    NEUTRAL = ""
    INFO = "info"
    OK = "ok"
    WARN = "warn"
    BAD = "bad"


@dataclass(frozen=True)
class Transition:
    """One step: allowed from ``sources``, leading to ``target`` (``None``: the state stays).

    ``label`` is a lazy past participle ("approved", "given a root cause") for the refusal
    message; ``allowed(person, obj)`` is the access predicate from the app's ``access.py``.
    """

    name: str
    sources: tuple
    target: Any
    label: Any
    allowed: Callable[[Any, Any], bool] | None = None
    refusal: Any = None

    def __post_init__(self):
        object.__setattr__(self, "sources", tuple(self.sources))


class StateMachine:
    """The transitions of one model's ``status`` field (or ``field``), declared once."""

    def __init__(
        self, *transitions, model=None, field="status", tones=None, describe=None, error=RuleError
    ):
        names = [t.name for t in transitions]
        if len(names) != len(set(names)):
            raise ValueError(f"duplicate transition names in {names}")
        self.transitions = transitions
        self.field = field
        self.tones = dict(tones or {})
        self.describe = describe
        self.error = error
        self._by_name = {t.name: t for t in transitions}
        if model is not None:
            _MACHINES[model] = self

    def __getitem__(self, name):
        return self._by_name[name]

    def __contains__(self, name):
        return name in self._by_name

    @property
    def names(self):
        return list(self._by_name)

    def state_of(self, obj):
        return getattr(obj, self.field)

    def tone(self, state):
        return self.tones.get(state, Tone.NEUTRAL)

    def state_allows(self, obj, name):
        """The record's state allows the step (who asks is not considered); a voided record
        (:mod:`qms_portal.voiding`) allows none."""
        return not _is_void(obj) and self.state_of(obj) in self[name].sources

    def may(self, person, obj, name):
        """The person may take the step on the record now: the state allows it and so does the
        step's access predicate."""
        transition = self[name]
        if not self.state_allows(obj, name):
            return False
        return transition.allowed is None or bool(transition.allowed(person, obj))

    def available(self, obj, person=None):
        """Names of the steps the record's state allows, narrowed to ``person``'s when given."""
        if person is None:
            return [t.name for t in self.transitions if self.state_allows(obj, t.name)]
        return [t.name for t in self.transitions if self.may(person, obj, t.name)]

    def require(self, obj, name, actor=None):
        """Raise ``PermissionDenied`` if ``actor`` may not take the step (when an actor is given),
        else the machine's ``RuleError`` if the state forbids it."""
        transition = self[name]
        if (
            actor is not None
            and transition.allowed is not None
            and not transition.allowed(actor, obj)
        ):
            raise PermissionDenied(
                transition.refusal or _("You may not do this to %(object)s.") % self._words(obj)
            )
        if _is_void(obj):
            raise self.error(
                _("%(object)s is void, so it cannot be %(action)s.")
                % {**self._words(obj), "action": transition.label}
            )
        if self.state_of(obj) not in transition.sources:
            raise self.error(
                _("%(object)s is %(status)s, so it cannot be %(action)s.")
                % {**self._words(obj), "action": transition.label}
            )
        return transition

    def move(self, obj, name, *, actor, reason, update_fields=None, **fields):
        """Check the step, set the target state and ``fields``, save with history (who, why).

        The caller holds the row lock (``select_for_update(of=("self",))`` in ``atomic``)."""
        transition = self.require(obj, name)
        if transition.target is not None:
            setattr(obj, self.field, transition.target)
        for field_name, value in fields.items():
            setattr(obj, field_name, value)
        if update_fields is not None:
            update_fields = [*update_fields, *fields]
            if transition.target is not None:
                update_fields.append(self.field)
        save_with_history(obj, actor=actor, reason=reason, update_fields=update_fields)
        return obj

    move.alters_data = True

    def _words(self, obj):
        display = getattr(obj, f"get_{self.field}_display", None)
        status = display() if display else self.state_of(obj)
        described = self.describe(obj) if self.describe else _default_description(obj)
        return {"object": described, "status": str(status).lower()}


def _is_void(obj):
    return getattr(obj, "voided_at", None) is not None


def _default_description(obj):
    return getattr(obj, "reference", None) or str(obj)


def save_with_history(instance, *, actor, reason, update_fields=None):
    """Save ``instance`` with the history row naming ``actor`` and a stable ``reason``.

    ``reason`` is stored as written (stable English text or a code, see
    :mod:`qms_portal.history_reasons`) and translated when shown; a lazy translation passed here
    is stored as its source text, never in the actor's language.
    """
    from .history_reasons import stable

    if actor is not None:  # without one, history names the request's or task's person
        instance._history_user = actor
    instance._change_reason = stable(reason)
    if update_fields is not None:
        instance.save(update_fields=list(dict.fromkeys(update_fields)))
    else:
        instance.save()
    return instance


save_with_history.alters_data = True
