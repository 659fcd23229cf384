from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from . import throttling
from .models import FailedSignIn, Person


class ThrottledAuthenticationForm(AuthenticationForm):
    """The sign-in form: refuses attempts of a locked account or a backing-off address
    (``throttling``), and writes every failure to the :class:`FailedSignIn` log."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": _(
            "Too many failed sign-in attempts. For your security, wait %(minutes)d minutes "
            "and try again, or ask an administrator to reset your password."
        ),
        "address_backoff": ngettext_lazy(
            "Too many failed sign-in attempts from your network. Wait %(seconds)d second "
            "and try again.",
            "Too many failed sign-in attempts from your network. Wait %(seconds)d seconds "
            "and try again.",
            "seconds",
        ),
    }

    is_throttled = False

    def clean(self):
        username = self.cleaned_data.get("username", "")
        address = throttling.client_address(self.request)
        device = throttling.known_device(self.request, username)
        refusal = throttling.refusal_for(username, address, device)
        if refusal is not None:
            self.is_throttled = True
            if throttling.log_refusal_now(username, address, refusal.reason):
                FailedSignIn.objects.record(
                    username=username, client_address=address, reason=refusal.reason
                )
            raise self._refusal_error(refusal)
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            throttling.record_failure(username, address, device)
            FailedSignIn.objects.record(
                username=username, client_address=address, reason=_failure_reason(username)
            )
            raise
        if self.get_user() is not None:  # signed in (an empty password checks nothing)
            throttling.clear_failures(username, device)
        return cleaned

    def _refusal_error(self, refusal):
        if refusal.reason == FailedSignIn.Reason.ADDRESS_BACKOFF:
            return forms.ValidationError(
                self.error_messages["address_backoff"],
                code="address_backoff",
                params={"seconds": refusal.wait_seconds},
            )
        return forms.ValidationError(
            self.error_messages["throttled"],
            code="throttled",
            params={"minutes": max(1, settings.LOGIN_FAILURE_WINDOW_SECONDS // 60)},
        )


def _failure_reason(username):
    """Why a sign-in failed, for the log only (the person sees one message for all three)."""
    person = Person.objects.filter(**{Person.USERNAME_FIELD: username}).only("is_active").first()
    if person is None:
        return FailedSignIn.Reason.UNKNOWN_ACCOUNT
    if not person.is_active:
        return FailedSignIn.Reason.INACTIVE_ACCOUNT
    return FailedSignIn.Reason.WRONG_PASSWORD


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=settings.LANGUAGES)
