from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qms_portal.organisation.models import Department, Person

from .models import Confidentiality, DocumentType, Revision, Signature
from .workflow import STEP_OF_MEANING

MAX_LABEL = 10


class RevisionPageForm(forms.Form):
    """A form shown next to others on the revision page: its own field ids (``id_<form>_<field>``),
    so two forms with a field of the same name do not share an id and each label finds its field."""

    form_name = ""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"id_{self.form_name}_%s")
        super().__init__(*args, **kwargs)


class DocumentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=250)
    doc_type = forms.ChoiceField(label=_("Type"), choices=DocumentType.choices)
    owner_department = forms.ModelChoiceField(
        label=_("Owner department"), queryset=Department.objects.none()
    )
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=Person.objects.none())
    confidentiality = forms.ChoiceField(
        label=_("Confidentiality"),
        choices=Confidentiality.choices,
        initial=Confidentiality.INTERNAL,
    )
    restricted_to = forms.ModelMultipleChoiceField(
        label=_("Restricted to departments"),
        queryset=Department.objects.none(),
        required=False,
        help_text=_("Only for restricted documents."),
    )
    review_period_months = forms.IntegerField(
        label=_("Review period (months)"),
        min_value=1,
        max_value=120,
        required=False,
        help_text=_("Leave empty for the default of this document type."),
    )
    retention_years = forms.IntegerField(
        label=_("Retention (years, records)"), min_value=1, max_value=100, required=False
    )
    change_summary = forms.CharField(
        label=_("What this first revision contains"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )
    file = forms.FileField(label=_("File (PDF, DOCX, XLSX, ODT, PNG or JPEG)"))

    def __init__(self, *args, person, **kwargs):
        super().__init__(*args, **kwargs)
        agency_departments = Department.objects.filter(agency_id=person.agency_id, is_active=True)
        if person.is_quality_manager or person.is_administrator:
            own = agency_departments
        else:
            own = agency_departments.filter(pk__in=person.department_ids)
        self.fields["owner_department"].queryset = own
        self.fields["restricted_to"].queryset = agency_departments
        self.fields["owner"].queryset = Person.objects.filter(
            agency_id=person.agency_id, is_active=True
        )
        self.fields["owner"].initial = person.pk

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("confidentiality") == Confidentiality.RESTRICTED and not cleaned.get(
            "restricted_to"
        ):
            self.add_error(
                "restricted_to", _("Name the departments a restricted document is restricted to.")
            )
        return cleaned


class RevisionForm(RevisionPageForm):
    form_name = "revision"

    label = forms.CharField(
        label=_("Revision label"),
        max_length=MAX_LABEL,
        required=False,
        help_text=_("Leave empty for the next letter."),
    )
    change_summary = forms.CharField(
        label=_("Change summary"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )
    file = forms.FileField(label=_("File (PDF, DOCX, XLSX, ODT, PNG or JPEG)"))


class DraftForm(RevisionPageForm):
    form_name = "draft"

    change_summary = forms.CharField(
        label=_("Change summary"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )
    file = forms.FileField(label=_("Replace the file (optional)"), required=False)


class SubmitForm(forms.Form):
    reviewers = forms.ModelMultipleChoiceField(
        label=_("Reviewers"), queryset=Person.objects.none(), required=False
    )
    approvers = forms.ModelMultipleChoiceField(label=_("Approvers"), queryset=Person.objects.none())
    effective_date = forms.DateField(
        label=_("Effective date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Empty: effective as soon as it is approved."),
    )

    def __init__(self, *args, document, **kwargs):
        super().__init__(*args, **kwargs)
        people = Person.objects.filter(agency_id=document.agency_id, is_active=True)
        self.fields["reviewers"].queryset = people
        self.fields["approvers"].queryset = people


class StepSelect(forms.Select):
    """A select whose options name the workflow step each choice takes (``data-step``)."""

    def __init__(self, *args, steps=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.steps = dict(steps or {})

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        if str(value) in self.steps:
            option["attrs"]["data-step"] = self.steps[str(value)]
        return option


class SignForm(RevisionPageForm):
    form_name = "sign"

    meaning = forms.ChoiceField(
        label=_("Meaning of my signature"),
        choices=Signature.Meaning.choices,
        widget=StepSelect(steps=STEP_OF_MEANING),
    )
    comment = forms.CharField(
        label=pgettext_lazy("signature", "Comment"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=5000,
    )
    password = forms.CharField(
        label=_("Your password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("Re-enter your password to sign electronically."),
    )

    def __init__(self, *args, meanings=None, **kwargs):
        """``meanings``: offer only these (the signer's steps now); a posted form accepts any
        meaning and leaves the refusal to the workflow, which says why."""
        super().__init__(*args, **kwargs)
        if meanings is not None:
            self.fields["meaning"].choices = [
                (value, label) for value, label in Signature.Meaning.choices if value in meanings
            ]


class ObsoleteForm(RevisionPageForm):
    form_name = "obsolete"

    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


class PeriodicReviewForm(RevisionPageForm):
    form_name = "review"

    comment = forms.CharField(
        label=_("Review conclusion"), max_length=500, initial=_("Reviewed; still current.")
    )


class AssignReadingForm(forms.Form):
    people = forms.ModelMultipleChoiceField(
        label=_("People"), queryset=Person.objects.none(), required=False
    )
    departments = forms.ModelMultipleChoiceField(
        label=_("Whole departments"), queryset=Department.objects.none(), required=False
    )
    due_date = forms.DateField(
        label=_("Read by"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, document, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["people"].queryset = Person.objects.filter(
            agency_id=document.agency_id, is_active=True
        )
        self.fields["departments"].queryset = Department.objects.filter(
            agency_id=document.agency_id
        )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("people") and not cleaned.get("departments"):
            raise forms.ValidationError(_("Choose at least one person or department."))
        return cleaned


class RegisterFilterForm(forms.Form):
    SORTS = {
        "number": "number",
        "-number": "-number",
        "title": "title",
        "-title": "-title",
        "review": "next_review_due",
        "-review": "-next_review_due",
        "type": "doc_type",
    }
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.none(), required=False
    )
    doc_type = forms.ChoiceField(
        label=_("Type"), choices=[("", _("All types"))] + DocumentType.choices, required=False
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status"))]
        + [c for c in Revision.Status.choices if c[0] != "superseded"],
    )
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=Person.objects.none(), required=False)
    due = forms.BooleanField(label=_("Overdue for review"), required=False)
    waiting = forms.ChoiceField(
        label=_("Waiting for me"),
        required=False,
        choices=[
            ("", _("Not filtered")),
            ("sign", _("My signature")),
            ("read", _("My acknowledgement")),
            ("correct", _("My corrections")),
        ],
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("number", pgettext_lazy("document number", "Number")),
            ("-number", _("Number, descending")),
            ("title", _("Title")),
            ("-title", _("Title, descending")),
            ("review", _("Next review")),
            ("-review", _("Next review, latest")),
            ("type", _("Type")),
        ],
    )

    def __init__(self, *args, person, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.visible_to(person)
        self.fields["owner"].queryset = Person.objects.visible_to(person).filter(is_active=True)
