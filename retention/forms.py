"""What people type on the retention pages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import RecordType


class RuleForm(forms.Form):
    years = forms.IntegerField(label=_("Kept for (years)"), min_value=1, max_value=100)
    trigger_event = forms.CharField(label=_("Counted from"), max_length=200)


class HoldForm(forms.Form):
    record_type = forms.ChoiceField(label=_("Record type"), choices=RecordType.choices)
    record = forms.CharField(
        label=_("Record"),
        max_length=120,
        required=False,
        help_text=_("Its number, reference or id; leave empty to hold every record of the type."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea)


class ReleaseForm(forms.Form):
    reason = forms.CharField(label=_("Reason for release"), max_length=2000)


class ProposeForm(forms.Form):
    record_types = forms.MultipleChoiceField(
        label=_("Record types"), choices=RecordType.choices, widget=forms.CheckboxSelectMultiple
    )


class ApproveForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"), widget=forms.PasswordInput, strip=False, max_length=128
    )
