"""What a quality manager types to define and share a pack."""

from datetime import date, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from processes.models import Clause
from qms_portal.organisation.models import Department, Person
from qms_portal.organisation.roles import Role

from .models import DEFAULT_CLAUSES, Section

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PackForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    departments = forms.ModelMultipleChoiceField(
        label=_("Departments in scope"),
        queryset=Department.objects.none(),
        required=False,
        help_text=_("Leave empty for the whole agency; sections of a department are included."),
        widget=forms.CheckboxSelectMultiple,
    )
    period_start = forms.DateField(label=_("Period from"), widget=DATE)
    period_end = forms.DateField(label=_("Period to"), widget=DATE)
    clauses = forms.ModelMultipleChoiceField(
        label=_("ISO 9001 clauses"),
        queryset=Clause.objects.order_by("sort_key"),
        help_text=_("Clauses 4 to 10 by default; a clause includes its sub-clauses."),
    )
    sections = forms.MultipleChoiceField(
        label=_("Sections"), choices=Section.choices, widget=forms.CheckboxSelectMultiple
    )
    language = forms.ChoiceField(
        label=_("Language of the headings"), choices=[("en", "English"), ("zh-hans", "简体中文")]
    )

    def __init__(self, *args, agency_id, **kwargs):
        today = timezone.localdate()
        kwargs.setdefault(
            "initial",
            {
                "period_start": date(today.year - 1, today.month, 1),
                "period_end": today,
                "clauses": list(Clause.objects.filter(number__in=DEFAULT_CLAUSES)),
                "sections": Section.values,
                "language": "en",
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["departments"].queryset = Department.objects.filter(
            agency_id=agency_id, is_active=True
        ).order_by("code")

    def clean(self):
        data = super().clean()
        if data.get("period_start") and data.get("period_end"):
            if data["period_end"] < data["period_start"]:
                self.add_error("period_end", _("This date is before the start date."))
        return data


class ShareForm(forms.Form):
    certifier = forms.ModelChoiceField(label=_("Certifier"), queryset=Person.objects.none())
    expires_on = forms.DateField(label=_("Until (inclusive)"), widget=DATE)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"expires_on": timezone.localdate() + timedelta(days=30)})
        super().__init__(*args, **kwargs)
        self.fields["certifier"].queryset = (
            Person.objects.with_role(Role.CERTIFIER).filter(is_active=True).order_by("username")
        )
