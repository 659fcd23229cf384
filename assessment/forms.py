"""Validation of what people type into the self-assessment and publication forms."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audits.capa.models import Nonconformity
from documents.models import Document
from processes.models import Measurement
from qms_portal.organisation.models import Department, Person
from services.models import Service

from .models import Indicator, Level


class AssessmentCreateForm(forms.Form):
    year = forms.IntegerField(label=_("Year assessed"), min_value=2000, max_value=2100)
    approver = forms.ModelChoiceField(label=_("Approver"), queryset=Person.objects.none())

    def __init__(self, *args, agency_id, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["approver"].queryset = Person.objects.filter(
            agency_id=agency_id, is_active=True
        )


class ResultForm(forms.Form):
    level = forms.ChoiceField(label=_("Level"), choices=Level.choices, widget=forms.RadioSelect)
    reasons = forms.CharField(label=_("Reasons"), widget=forms.Textarea(attrs={"rows": 4}))
    override_reason = forms.CharField(
        label=_("Why the level differs from the proposal"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    documents = forms.ModelMultipleChoiceField(
        label=_("Documents"), queryset=Document.objects.none(), required=False
    )
    measurements = forms.ModelMultipleChoiceField(
        label=_("KPI results"), queryset=Measurement.objects.none(), required=False
    )
    findings = forms.ModelMultipleChoiceField(
        label=_("Audit findings and nonconformities"),
        queryset=Nonconformity.objects.none(),
        required=False,
    )
    services = forms.ModelMultipleChoiceField(
        label=_("Service statistics"), queryset=Service.objects.none(), required=False
    )

    def __init__(self, *args, person, assessment, **kwargs):
        super().__init__(*args, **kwargs)
        start, end = assessment.period
        self.fields["documents"].queryset = Document.objects.visible_to(person).filter(
            agency_id=assessment.agency_id, is_obsolete=False
        )
        self.fields["measurements"].queryset = (
            Measurement.objects.visible_to(person)
            .filter(period__gte=start, period__lte=end)
            .select_related("kpi__process")
        )
        self.fields["findings"].queryset = Nonconformity.objects.visible_to(person).filter(
            agency_id=assessment.agency_id
        )
        self.fields["services"].queryset = Service.objects.filter(agency_id=assessment.agency_id)


class ReturnForm(forms.Form):
    reason = forms.CharField(label=_("What must change"), widget=forms.Textarea(attrs={"rows": 3}))


class ApproveForm(forms.Form):
    password = forms.CharField(
        label=_("Your password (to sign)"), widget=forms.PasswordInput, strip=False
    )


class RaiseActionsForm(forms.Form):
    due_date = forms.DateField(
        label=_("Due date of the improvement actions"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean_due_date(self):
        due = self.cleaned_data["due_date"]
        if due and due < timezone.localdate():
            raise forms.ValidationError(_("Choose a future date."))
        return due


class IndicatorForm(forms.ModelForm):
    class Meta:
        model = Indicator
        fields = [
            "name_zh",
            "name_en",
            "description_zh",
            "description_en",
            "departments",
            "data_source",
            "direction",
            "green_threshold",
            "red_threshold",
            "is_active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["departments"].queryset = Department.objects.filter(
            agency_id=self.instance.agency_id
        )


class TransparencyForm(forms.Form):
    publish_self_assessment = forms.BooleanField(
        label=_("Publish the latest approved self-assessment"), required=False
    )
    statement_zh = forms.CharField(
        label=_("Quality policy statement (Chinese)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    statement_en = forms.CharField(
        label=_("Quality policy statement (English)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Leave both empty to show the effective public policy document."),
    )
