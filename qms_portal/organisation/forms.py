from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from . import throttling


class ThrottledAuthenticationForm(AuthenticationForm):
    """The sign-in form, refusing attempts once too many have failed."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": _(
            "Too many failed sign-in attempts. For your security, wait %(minutes)d minutes "
            "and try again, or ask an administrator to reset your password."
        ),
    }

    is_throttled = False

    def clean(self):
        username = self.cleaned_data.get("username", "")
        address = throttling.client_address(self.request)
        if throttling.is_locked_out(username, address):
            self.is_throttled = True
            raise forms.ValidationError(
                self.error_messages["throttled"],
                code="throttled",
                params={"minutes": max(1, settings.LOGIN_FAILURE_WINDOW_SECONDS // 60)},
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            throttling.record_failure(username, address)
            raise
        throttling.clear_failures(username)
        return cleaned


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=settings.LANGUAGES)
