"""What people type: nonconformities, their steps, actions and the lists' filters."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from processes.models import Clause, Kpi, Process
from qms_portal.organisation.models import Department, Person

from ..auditing.forms import DATE, _agency_departments, _agency_people
from .models import Action, Nonconformity
from .workflow import FISHBONE_CATEGORIES


class NonconformityForm(forms.Form):
    source = forms.ChoiceField(
        label=_("Source"),
        choices=[c for c in Nonconformity.Source.choices if c[0] != Nonconformity.Source.AUDIT],
    )
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}))
    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.none())
    severity = forms.ChoiceField(label=_("Severity"), choices=Nonconformity.Severity.choices)
    owner = forms.ModelChoiceField(label=_("Responsible person"), queryset=Person.objects.none())
    clause = forms.ModelChoiceField(
        label=_("Clause"), queryset=Clause.objects.all(), required=False
    )
    process = forms.ModelChoiceField(
        label=_("Process"), queryset=Process.objects.none(), required=False
    )
    kpi = forms.ModelChoiceField(
        label=_("KPI (for a KPI breach)"), queryset=Kpi.objects.none(), required=False
    )
    source_reference = forms.CharField(
        label=_("Source reference"),
        max_length=300,
        required=False,
        help_text=_("For example the complaint number or a link to it."),
    )

    def __init__(self, *args, agency_id, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = _agency_departments(agency_id)
        self.fields["owner"].queryset = _agency_people(agency_id)
        self.fields["process"].queryset = Process.objects.filter(agency_id=agency_id)
        self.fields["kpi"].queryset = Kpi.objects.filter(
            process__agency_id=agency_id
        ).select_related("process")


class ContainForm(forms.Form):
    containment = forms.CharField(
        label=_("Correction taken"), widget=forms.Textarea(attrs={"rows": 3})
    )


class AnalyseForm(forms.Form):
    method = forms.ChoiceField(label=_("Method"), choices=Nonconformity.RootCauseMethod.choices)
    root_cause = forms.CharField(label=_("Root cause"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for n in range(1, 6):
            self.fields[f"why_{n}"] = forms.CharField(
                label=_("Why %(n)d?") % {"n": n}, required=False, max_length=500
            )
        for name in FISHBONE_CATEGORIES:
            self.fields[f"fishbone_{name}"] = forms.CharField(
                label=name.title(), required=False, max_length=500
            )

    def analysis(self):
        data = self.cleaned_data
        return {
            "whys": [data[f"why_{n}"] for n in range(1, 6)],
            "categories": {name: data[f"fishbone_{name}"] for name in FISHBONE_CATEGORIES},
        }


class ActionForm(forms.Form):
    title = forms.CharField(label=pgettext_lazy("corrective action", "Action"), max_length=200)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=Person.objects.none())
    due_date = forms.DateField(label=_("Due date"), widget=DATE)
    description = forms.CharField(
        label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, agency_id, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _agency_people(agency_id)

    def clean_due_date(self):
        due = self.cleaned_data["due_date"]
        if due < timezone.localdate():
            raise forms.ValidationError(_("The due date is in the past; choose a future date."))
        return due


class PlanForm(forms.Form):
    """Up to three corrective actions at once; empty rows are ignored."""

    ROWS = 3

    def __init__(self, *args, agency_id, **kwargs):
        super().__init__(*args, **kwargs)
        people = _agency_people(agency_id)
        for n in range(1, self.ROWS + 1):
            self.fields[f"title_{n}"] = forms.CharField(
                label=_("Action %(n)d") % {"n": n}, max_length=200, required=n == 1
            )
            self.fields[f"owner_{n}"] = forms.ModelChoiceField(
                label=_("Owner"), queryset=people, required=n == 1
            )
            self.fields[f"due_{n}"] = forms.DateField(
                label=_("Due date"), widget=DATE, required=n == 1
            )

    def clean(self):
        data = super().clean()
        for n in range(1, self.ROWS + 1):
            filled = [data.get(f"title_{n}"), data.get(f"owner_{n}"), data.get(f"due_{n}")]
            if any(filled) and not all(filled):
                self.add_error(f"title_{n}", _("Give this action an owner and a due date."))
        return data

    def actions(self):
        data = self.cleaned_data
        return [
            {"title": data[f"title_{n}"], "owner": data[f"owner_{n}"], "due_date": data[f"due_{n}"]}
            for n in range(1, self.ROWS + 1)
            if data.get(f"title_{n}")
        ]


class VerifyForm(forms.Form):
    effective = forms.TypedChoiceField(
        label=_("Were the actions effective?"),
        choices=[("yes", _("Yes, close it")), ("no", _("No, reopen it"))],
        coerce=lambda value: value == "yes",
    )
    notes = forms.CharField(
        label=_("Evidence of (in)effectiveness"), widget=forms.Textarea(attrs={"rows": 3})
    )


class VoidForm(forms.Form):
    reason = forms.CharField(
        label=_("Why was it raised in error?"),
        max_length=300,
        help_text=_(
            "For example “a duplicate of NC-2026-004”. Kept with it and in its history; its open "
            "actions are cancelled."
        ),
    )


class CompleteForm(forms.Form):
    note = forms.CharField(label=_("What was done"), widget=forms.Textarea(attrs={"rows": 2}))


class ActionVerifyForm(forms.Form):
    verification = forms.CharField(
        label=_("How it was checked"), widget=forms.Textarea(attrs={"rows": 2})
    )


class NcFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("All")), ("open", _("Open (not closed)"))]
        + list(Nonconformity.Status.choices)
        + [("void", _("Void (raised in error)"))],
        required=False,
    )
    severity = forms.ChoiceField(
        label=_("Severity"),
        choices=[("", _("All"))] + list(Nonconformity.Severity.choices),
        required=False,
    )
    source = forms.ChoiceField(
        label=_("Source"),
        choices=[("", _("All"))] + list(Nonconformity.Source.choices),
        required=False,
    )
    department = forms.IntegerField(required=False, widget=forms.HiddenInput)
    process = forms.IntegerField(required=False, widget=forms.HiddenInput)
    raised_from = forms.DateField(label=_("Raised from"), widget=DATE, required=False)
    raised_to = forms.DateField(label=_("Raised to"), widget=DATE, required=False)


class ActionFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All"))] + list(Action.Status.choices), required=False
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("All"))] + list(Action.Kind.choices), required=False
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    mine = forms.BooleanField(label=_("Mine only"), required=False)
    department = forms.IntegerField(required=False, widget=forms.HiddenInput)
