"""One RuleError, one way to show it; history reasons stored stable and translated when shown."""

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.utils import translation
from django.utils.translation import gettext_lazy, gettext_noop

from qms_portal import history_reasons
from qms_portal.errors import RuleError, RuleErrorMiddleware, apply_rule, message_of, refused


class NoteForm(forms.Form):
    note = forms.CharField()


class DomainError(RuleError):
    """A domain's own error, as every app declares one."""


def test_a_broken_rule_becomes_a_form_error_and_the_form_keeps_what_was_typed():
    form = NoteForm({"note": "as typed"})
    assert form.is_valid()

    def refuse():
        raise DomainError("Only the named approver can approve revision B of PRO-FIN-003.")

    assert apply_rule(form, refuse) is None
    assert form.non_field_errors() == [
        "Only the named approver can approve revision B of PRO-FIN-003."
    ]
    assert form["note"].value() == "as typed"


def test_a_validation_error_from_a_workflow_is_shown_the_same_way():
    form = NoteForm({"note": "x"})
    form.is_valid()

    def refuse():
        raise ValidationError(["Too big.", "Wrong kind."])

    apply_rule(form, refuse)
    assert form.non_field_errors() == ["Too big. Wrong kind."]
    assert message_of(ValidationError("One.")) == "One."


def test_the_result_of_an_accepted_call_is_returned():
    form = NoteForm({"note": "x"})
    form.is_valid()
    assert apply_rule(form, lambda: 42) == 42
    assert not form.errors


@pytest.mark.django_db
def test_a_refusal_page_is_a_4xx_with_the_reason_and_a_way_back(rf):
    response = refused(rf.get("/"), DomainError("Close the actions first."), back="/audits/")
    assert response.status_code == 409
    body = response.content.decode()
    assert "Close the actions first." in body and 'href="/audits/"' in body


@pytest.mark.django_db
def test_a_domain_may_choose_its_refusal_status(rf):
    class BadInput(RuleError):
        status_code = 400

    assert refused(rf.get("/"), BadInput("No."), back="/").status_code == 400


@pytest.mark.django_db
def test_an_uncaught_rule_error_is_a_refusal_never_a_server_error():
    request = RequestFactory().get("/x/", HTTP_REFERER="https://evil.example/")
    middleware = RuleErrorMiddleware(lambda request: None)
    response = middleware.process_exception(request, DomainError("Not in this state."))
    assert response.status_code == 409
    assert b"Not in this state." in response.content
    assert b"evil.example" not in response.content  # the way back stays on the portal
    assert middleware.process_exception(request, ValueError("other")) is None


def test_a_lazy_reason_is_stored_in_its_source_language_whoever_writes_it():
    translation.activate("zh-hans")
    assert history_reasons.stable(gettext_lazy("Back")) == "Back"


def test_a_reason_keeps_the_persons_words_after_the_stable_phrase():
    assert history_reasons.reason(gettext_noop("Returned"), "  figures   missing ") == (
        "Returned: figures missing"
    )
    assert history_reasons.reason(gettext_noop("Returned")) == "Returned"


def test_a_stored_reason_is_shown_in_the_readers_language():
    stored = history_reasons.reason(gettext_noop("Back"), "typed by a person")
    translation.activate("zh-hans")
    shown = history_reasons.shown(stored)
    assert shown.endswith(": typed by a person")
    assert not shown.startswith("Back")
    translation.activate("en")
    assert history_reasons.shown(stored) == stored
