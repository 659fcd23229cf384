"""What people type: a management review and its minutes (actions and signatures use the forms
of ``capa`` and ``auditing``)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from qms_portal.organisation.models import Person

from ..auditing.forms import DATE, DatesInOrderMixin, _agency_people


class ReviewForm(DatesInOrderMixin, forms.Form):
    date_pairs = (("period_start", "period_end"),)

    title = forms.CharField(label=_("Title"), max_length=200)
    period_start = forms.DateField(label=_("Period from"), widget=DATE)
    period_end = forms.DateField(label=_("Period to"), widget=DATE)
    meeting_date = forms.DateField(label=_("Meeting date"), widget=DATE)
    chair = forms.ModelChoiceField(label=_("Chair"), queryset=Person.objects.none())
    attendees = forms.ModelMultipleChoiceField(
        label=_("Attendees"), queryset=Person.objects.none(), required=False
    )

    def __init__(self, *args, agency_id, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["chair"].queryset = _agency_people(agency_id)
        self.fields["attendees"].queryset = _agency_people(agency_id)


class MinutesForm(forms.Form):
    discussion = forms.CharField(
        label=_("Discussion"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    decisions = forms.CharField(
        label=_("Decisions"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
