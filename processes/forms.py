"""What people type: process definitions, interactions, KPIs, measurements and risks."""

from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from documents.models import Document
from qms_portal.organisation.models import Department, Person

from . import periods
from .models import Clause, Kpi, Process, Risk, Status
from .workflow import KPI_FIELDS, RISK_FIELDS

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

SIPOC_HELP = _("One per line: what | from whom (or to whom), for example “Application | Citizen”.")


class SipocField(forms.CharField):
    """Lines of ``name | party``: the SIPOC inputs with suppliers, or outputs with customers."""

    widget = forms.Textarea(attrs={"rows": 4})

    def __init__(self, **kwargs):
        super().__init__(required=False, help_text=SIPOC_HELP, **kwargs)

    def to_python(self, value):
        rows = []
        for number, line in enumerate((value or "").splitlines(), start=1):
            if not line.strip():
                continue
            name, _sep, party = line.partition("|")
            name, party = name.strip(), party.strip()
            if not name:
                raise forms.ValidationError(
                    _("Line %(number)d has no name before the “|”."), params={"number": number}
                )
            if len(name) > 200 or len(party) > 200:
                raise forms.ValidationError(
                    _("Line %(number)d is too long: keep each part under 200 characters."),
                    params={"number": number},
                )
            if (name, party) not in rows:
                rows.append((name, party))
        return rows

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(f"{name} | {party}" if party else name for name, party in value)
        return value


class ProcessForm(forms.ModelForm):
    inputs = SipocField(label=_("Inputs and their suppliers"))
    outputs = SipocField(label=_("Outputs and their customers"))

    class Meta:
        model = Process
        fields = [
            "code",
            "name",
            "category",
            "owner",
            "department",
            "purpose",
            "scope",
            "inputs",
            "outputs",
            "resources",
            "controls",
            "clauses",
            "documents",
            "is_active",
        ]
        widgets = {
            "clauses": forms.SelectMultiple(attrs={"size": 12}),
            "documents": forms.SelectMultiple(attrs={"size": 8}),
            "purpose": forms.Textarea(attrs={"rows": 3}),
            "scope": forms.Textarea(attrs={"rows": 3}),
            "resources": forms.Textarea(attrs={"rows": 3}),
            "controls": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, agency, **kwargs):
        super().__init__(*args, **kwargs)
        self.agency = agency
        self.fields["owner"].queryset = Person.objects.filter(agency=agency, is_active=True)
        self.fields["department"].queryset = Department.objects.filter(
            agency=agency, is_active=True
        )
        self.fields["clauses"].queryset = Clause.objects.all()
        self.fields["documents"].queryset = Document.objects.filter(
            agency=agency, is_obsolete=False
        ).order_by("number")
        if self.instance.pk:
            self.initial["inputs"] = [(r.name, r.supplier) for r in self.instance.inputs.all()]
            self.initial["outputs"] = [(r.name, r.customer) for r in self.instance.outputs.all()]

    def clean_code(self):
        code = self.cleaned_data["code"].strip().upper()
        clash = Process.objects.filter(agency=self.agency, code=code).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(
                _("%(code)s is already used by “%(name)s”. Choose another code."),
                params={"code": code, "name": clash.first().name},
            )
        return code


class InteractionForm(forms.Form):
    target = forms.ModelChoiceField(queryset=Process.objects.none(), label=_("Feeds process"))
    output = forms.CharField(
        max_length=200,
        label=_("What flows"),
        help_text=_("An output of this process, for example “approved permit”."),
    )

    def __init__(self, *args, source, **kwargs):
        super().__init__(*args, **kwargs)
        self.source = source
        self.fields["target"].queryset = Process.objects.filter(agency_id=source.agency_id)

    def clean_target(self):
        target = self.cleaned_data["target"]
        if target.pk == self.source.pk:
            raise forms.ValidationError(
                _("A process cannot feed itself; choose the process that receives the output.")
            )
        return target


class KpiForm(forms.ModelForm):
    class Meta:
        model = Kpi
        fields = KPI_FIELDS  # the fields the workflow saves, named once

    def __init__(self, *args, process, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.process = process


def period_choices(frequency, *, today=None, count=None, exclude=()):
    """The completed periods people may measure, newest first, and the current one."""
    today = today or timezone.localdate()
    count = count or {"monthly": 36, "quarterly": 12, "yearly": 5}[frequency]
    current = periods.period_start(today, frequency)
    starts = [current, *periods.recent_periods(today, frequency, count)]
    return [(s.isoformat(), periods.label(s, frequency)) for s in starts if s not in exclude]


class MeasurementForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"))
    value = forms.DecimalField(
        label=_("Value"),
        max_digits=14,
        decimal_places=4,
        error_messages={"invalid": _("Enter the value as a number, for example 97.5.")},
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, kpi, **kwargs):
        super().__init__(*args, **kwargs)
        self.kpi = kpi
        measured = set(kpi.measurements.values_list("period", flat=True))
        self.fields["period"].choices = period_choices(kpi.frequency)
        self.measured = measured
        if kpi.unit:
            self.fields["value"].label = _("Value (%(unit)s)") % {"unit": kpi.unit}

    def clean_period(self):
        period = date.fromisoformat(self.cleaned_data["period"])
        if period in self.measured:
            raise forms.ValidationError(
                _(
                    "%(period)s already has a value. To change it, correct that measurement and "
                    "give a reason."
                ),
                params={"period": self.kpi.period_label(period)},
            )
        return period


class CorrectionForm(forms.Form):
    value = forms.DecimalField(
        label=_("Corrected value"),
        max_digits=14,
        decimal_places=4,
        error_messages={"invalid": _("Enter the value as a number, for example 97.5.")},
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
    reason = forms.CharField(
        label=_("Reason for the correction"),
        max_length=300,
        help_text=_("Kept in the measurement's history."),
    )


class VoidForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is this value void?"),
        max_length=300,
        help_text=_("For example “entered twice”. Kept with the value and in its history."),
    )


class RiskForm(forms.ModelForm):
    class Meta:
        model = Risk
        fields = RISK_FIELDS  # the fields the workflow saves, named once
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "treatment": forms.Textarea(attrs={"rows": 3}),
            "review_date": forms.DateInput(attrs={"type": "date"}),
            "likelihood": forms.NumberInput(attrs={"min": 1, "max": 5}),
            "impact": forms.NumberInput(attrs={"min": 1, "max": 5}),
        }

    def __init__(self, *args, process, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.process = process
        self.fields["owner"].queryset = Person.objects.filter(
            agency_id=process.agency_id, is_active=True
        )
        if not self.instance.pk:
            self.initial.setdefault("owner", process.owner_id)


class ProcessFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    category = forms.ChoiceField(
        label=_("Category"),
        required=False,
        choices=[("", _("All categories")), *Process.Category.choices],
    )
    department = forms.ModelChoiceField(
        label=_("Department"),
        required=False,
        queryset=Department.objects.none(),
        empty_label=_("All departments"),
    )
    clause = forms.ModelChoiceField(
        label=_("ISO clause"),
        required=False,
        queryset=Clause.objects.all(),
        empty_label=_("All clauses"),
    )
    mine = forms.BooleanField(label=_("Only mine"), required=False)
    kpi_status = forms.ChoiceField(
        label=_("KPI status"),
        required=False,
        choices=[("", _("Any KPI status")), *Status.choices, ("none", _("No value in the period"))],
    )
    kpi_from = forms.DateField(label=_("KPI values from"), required=False, widget=DATE_INPUT)
    kpi_to = forms.DateField(label=_("KPI values to"), required=False, widget=DATE_INPUT)

    def __init__(self, *args, person, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.visible_to(person)

    def clean(self):
        data = super().clean()
        if data.get("kpi_from") and data.get("kpi_to") and data["kpi_from"] > data["kpi_to"]:
            raise forms.ValidationError(_("The KPI period ends before it starts; swap the dates."))
        return data


class RiskFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("Risks and opportunities")), *Risk.Kind.choices],
    )
    likelihood = forms.IntegerField(label=_("Likelihood"), required=False, min_value=1, max_value=5)
    impact = forms.IntegerField(label=_("Impact"), required=False, min_value=1, max_value=5)
    show_closed = forms.BooleanField(label=_("Include closed"), required=False)
