"""The state machine kernel: transitions declared once, checked, moved with history, offered."""

from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation
from django.utils.translation import gettext_lazy

from qms_portal.errors import RuleError
from qms_portal.statemachine import StateMachine, Tone, Transition, machine_for


class Ticket(SimpleNamespace):
    """A stand-in record: a status, its display, and a save() that remembers what it saved."""

    def get_status_display(self):
        return self.status.title()

    def save(self, update_fields=None):
        self.saved.append((self.status, self._change_reason, self._history_user, update_fields))


def only_owner(person, ticket):
    return person == ticket.owner


MACHINE = StateMachine(
    Transition("start", sources=["new"], target="open", label=gettext_lazy("started")),
    Transition(
        "close", sources=["open"], target="closed", label=gettext_lazy("closed"), allowed=only_owner
    ),
    Transition("comment", sources=["new", "open"], target=None, label=gettext_lazy("commented")),
    model=Ticket,
    tones={"closed": Tone.OK, "new": Tone.WARN},
    describe=lambda ticket: f"Ticket {ticket.number}",
)


def ticket(status="new"):
    return Ticket(status=status, number=7, owner="ann", saved=[])


def test_available_lists_the_steps_the_state_allows_in_declaration_order():
    assert MACHINE.available(ticket("new")) == ["start", "comment"]
    assert MACHINE.available(ticket("open")) == ["close", "comment"]
    assert MACHINE.available(ticket("closed")) == []


def test_available_for_a_person_drops_steps_their_role_forbids():
    assert MACHINE.available(ticket("open"), "ann") == ["close", "comment"]
    assert MACHINE.available(ticket("open"), "bob") == ["comment"]


def test_require_refuses_a_step_the_state_forbids_with_a_message_naming_the_record():
    with pytest.raises(RuleError) as refusal:
        MACHINE.require(ticket("closed"), "start")
    assert str(refusal.value) == "Ticket 7 is closed, so it cannot be started."


def test_require_refuses_a_person_the_predicate_forbids_before_looking_at_the_state():
    with pytest.raises(PermissionDenied):
        MACHINE.require(ticket("new"), "close", "bob")


def test_move_sets_the_target_and_saves_with_actor_and_stable_reason():
    record = ticket("new")
    translation.activate("zh-hans")
    MACHINE.move(record, "start", actor="ann", reason=gettext_lazy("Back"))
    assert record.status == "open"
    assert record.saved == [("open", "Back", "ann", None)]  # stored untranslated


def test_move_with_update_fields_saves_the_state_and_the_given_fields():
    record = ticket("open")
    MACHINE.move(record, "close", actor="ann", reason="closed", update_fields=[], note="done")
    assert record.note == "done"
    assert record.saved[0][3] == ["note", "status"]


def test_a_step_without_target_keeps_the_state():
    record = ticket("open")
    MACHINE.move(record, "comment", actor="ann", reason="note")
    assert record.status == "open"


def test_move_refuses_and_saves_nothing_when_the_state_forbids_it():
    record = ticket("closed")
    with pytest.raises(RuleError):
        MACHINE.move(record, "close", actor="ann", reason="again")
    assert record.saved == []


def test_the_machine_is_found_from_the_record_and_gives_each_state_its_tone():
    assert machine_for(ticket()) is MACHINE
    assert MACHINE.tone("closed") == Tone.OK
    assert MACHINE.tone("open") == Tone.NEUTRAL


def test_transition_names_are_unique():
    with pytest.raises(ValueError):
        StateMachine(
            Transition("a", sources=["x"], target="y", label="a"),
            Transition("a", sources=["y"], target="x", label="a"),
        )


def test_refusal_labels_follow_the_readers_language():
    translation.activate("zh-hans")
    with pytest.raises(RuleError) as refusal:
        MACHINE.require(ticket("closed"), "start")
    assert "so it cannot be" not in str(refusal.value)  # the sentence itself is translated


def test_every_step_of_every_portal_machine_reads_as_a_verb_in_chinese():
    """The refusal sentence ends "…因此无法%(action)s。": each step label has its own ("step")
    translation, never one shared with a field name such as "approved at"."""
    import importlib

    from qms_portal.statemachine import _MACHINES

    for module in (
        "documents.workflow",
        "services.workflow",
        "audits.auditing.workflow",
        "audits.capa.workflow",
        "audits.review.workflow",
        "audits.packs.workflow",
        "assessment.workflow",
    ):
        importlib.import_module(module)
    portal_machines = [
        m for model, m in _MACHINES.items() if model.__module__.split(".")[0] != "tests"
    ]
    assert len(portal_machines) >= 8
    translation.activate("zh-hans")
    for machine in portal_machines:
        for transition in machine.transitions:
            with translation.override(None):
                english = str(transition.label)
            chinese = str(transition.label)
            assert chinese != english, f"{transition.name}: {english!r} is not translated"
            assert "时间" not in chinese, f"{transition.name}: {chinese!r} is a field name"
