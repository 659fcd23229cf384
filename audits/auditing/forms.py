"""What people type: programmes, audits, checklist results, report signatures."""

from django import forms
from django.utils.translation import gettext_lazy as _

from processes.models import Clause, Process
from qms_portal.organisation.models import Department, Person

from .models import Audit, ChecklistItem, ReportSignature

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _agency_people(agency_id):
    return Person.objects.filter(agency_id=agency_id, is_active=True)


def _agency_departments(agency_id):
    return Department.objects.filter(agency_id=agency_id, is_active=True)


class DatesInOrderMixin:
    date_pairs = ()

    def clean(self):
        data = super().clean()
        for start, end in self.date_pairs:
            if data.get(start) and data.get(end) and data[end] < data[start]:
                self.add_error(
                    end, _("This date is before the start date; put the dates in order.")
                )
        return data


class ProgrammeForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    title = forms.CharField(label=_("Title"), max_length=200)
    objectives = forms.CharField(
        label=_("Objectives"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class AuditForm(DatesInOrderMixin, forms.Form):
    date_pairs = (("planned_start", "planned_end"),)

    title = forms.CharField(label=_("Title"), max_length=200)
    audit_type = forms.ChoiceField(label=_("Type"), choices=Audit.Type.choices)
    department = forms.ModelChoiceField(
        label=_("Audited department"), queryset=Department.objects.none()
    )
    processes = forms.ModelMultipleChoiceField(
        label=_("Processes in scope"), queryset=Process.objects.none(), required=False
    )
    clauses = forms.ModelMultipleChoiceField(
        label=_("Criteria (ISO 9001 clauses)"),
        queryset=Clause.objects.all(),
        widget=forms.SelectMultiple(attrs={"size": 12}),
    )
    scope = forms.CharField(label=_("Scope"), widget=forms.Textarea(attrs={"rows": 3}))
    lead_auditor = forms.ModelChoiceField(label=_("Lead auditor"), queryset=Person.objects.none())
    team = forms.ModelMultipleChoiceField(
        label=_("Audit team"), queryset=Person.objects.none(), required=False
    )
    auditees = forms.ModelMultipleChoiceField(
        label=_("Auditees"), queryset=Person.objects.none(), required=False
    )
    planned_start = forms.DateField(label=_("Planned start"), widget=DATE)
    planned_end = forms.DateField(label=_("Planned end"), widget=DATE)

    def __init__(self, *args, agency_id, **kwargs):
        super().__init__(*args, **kwargs)
        people = _agency_people(agency_id)
        self.fields["department"].queryset = _agency_departments(agency_id)
        self.fields["processes"].queryset = Process.objects.filter(
            agency_id=agency_id, is_active=True
        )
        for name in ("lead_auditor", "team", "auditees"):
            self.fields[name].queryset = people


class ChecklistAddForm(forms.Form):
    question = forms.CharField(label=_("Question"), widget=forms.Textarea(attrs={"rows": 2}))


class ChecklistResultForm(forms.Form):
    result = forms.ChoiceField(
        label=_("Result"), choices=[c for c in ChecklistItem.Result.choices if c[0]]
    )
    evidence = forms.CharField(
        label=_("Evidence notes"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    attachment = forms.FileField(label=_("Attach evidence"), required=False)
    reason = forms.CharField(label=_("Reason for the change"), max_length=300, required=False)


class ReportForm(forms.Form):
    summary = forms.CharField(label=_("Audit conclusion"), widget=forms.Textarea(attrs={"rows": 4}))


class SignForm(forms.Form):
    meaning = forms.ChoiceField(label=_("I sign as"), choices=ReportSignature.Meaning.choices)
    password = forms.CharField(label=_("Your password"), widget=forms.PasswordInput, strip=False)


class PasswordForm(forms.Form):
    password = forms.CharField(label=_("Your password"), widget=forms.PasswordInput, strip=False)


class AuditFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All"))] + list(Audit.Status.choices), required=False
    )
    clause = forms.CharField(label=_("Clause"), required=False, max_length=12)
    start = forms.DateField(label=_("From"), widget=DATE, required=False)
    end = forms.DateField(label=_("To"), widget=DATE, required=False)
    department = forms.IntegerField(required=False, widget=forms.HiddenInput)
