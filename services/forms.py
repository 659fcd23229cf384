import secrets

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qms_portal.organisation.models import Department, Person
from qms_portal.organisation.roles import sees_whole_agency

from . import intake, workflow
from .deadlines import DeadlineStatus
from .models import Holiday, Service, ServiceQuestion, ServiceRequest

Kind = ServiceQuestion.Kind


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "image/png,image/jpeg", "multiple": True})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def _question_field(question):
    """A form field for one question; the answer itself is checked by services.intake."""
    label = question.text
    common = {"label": label, "required": False}
    if question.kind == Kind.TEXT:
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), **common)
    if question.kind == Kind.NUMBER:
        return forms.CharField(widget=forms.TextInput(attrs={"inputmode": "decimal"}), **common)
    if question.kind == Kind.DATE:
        return forms.CharField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if question.kind == Kind.SINGLE:
        return forms.ChoiceField(choices=[("", "—"), *question.choice_list], **common)
    if question.kind == Kind.MULTIPLE:
        return forms.MultipleChoiceField(
            choices=question.choice_list, widget=forms.CheckboxSelectMultiple, **common
        )
    return forms.CharField(max_length=intake.MAX_SHORT_ANSWER, **common)


class RequestForm(forms.Form):
    """The citizen's request. Works without JavaScript; the map point is typed as numbers."""

    description = forms.CharField(
        label=_("What do you need, or what is wrong?"),
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": intake.MAX_DESCRIPTION}),
        max_length=intake.MAX_DESCRIPTION,
    )
    address = forms.CharField(
        label=_("Address or place (optional)"), max_length=intake.MAX_ADDRESS, required=False
    )
    lat = forms.CharField(label=_("Latitude (optional)"), required=False, max_length=20)
    long = forms.CharField(label=_("Longitude (optional)"), required=False, max_length=20)
    citizen_name = forms.CharField(label=_("Your name (optional)"), max_length=120, required=False)
    citizen_email = forms.CharField(
        label=_("E-mail (optional)"), max_length=254, required=False, widget=forms.EmailInput
    )
    citizen_phone = forms.CharField(label=_("Phone (optional)"), max_length=40, required=False)
    photos = MultiplePhotoField(
        label=_("Photos (optional)"),
        required=False,
        help_text=_("Up to 3 PNG or JPEG photos."),
    )
    # Honeypot: hidden from people by CSS, filled in by careless robots.
    website = forms.CharField(
        label=_("Leave this empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    # One per rendering of the form, so the same form sent twice makes one request (see
    # workflow.submit_request). Nothing is stored until the form is sent.
    submission_token = forms.RegexField(
        regex=r"^[A-Za-z0-9_-]{20,64}$",
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid": _("The form could not be accepted. Please try again.")},
    )

    def __init__(self, *args, service, questions, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["submission_token"] = secrets.token_urlsafe(24)
        self.service = service
        self.questions = questions
        self.question_fields = []
        for question in questions:
            name = f"q_{question.code}"
            self.fields[name] = _question_field(question)
            self.question_fields.append(name)
        self.submission = None

    def once(self):
        """The submission's idempotency key, when the form carried one."""
        token = self.cleaned_data.get("submission_token")
        return workflow.SubmissionOnce("web", token) if token else None

    def renew_submission_token(self):
        """A new token, for a form whose token was spent on another submission."""
        self.data = self.data.copy()
        self.data["submission_token"] = secrets.token_urlsafe(24)

    def question_bound_fields(self):
        return [self[name] for name in self.question_fields]

    def clean(self):
        cleaned = super().clean()
        if self.data.get("website"):
            raise ValidationError(_("The form could not be accepted. Please try again."))
        raw_answers = {q.code: self.data.getlist(f"q_{q.code}") for q in self.questions}
        field_of = {f"attribute[{q.code}]": f"q_{q.code}" for q in self.questions}
        field_of.update(
            {
                "address_string": "address",
                "email": "citizen_email",
                "name": "citizen_name",
                "phone": "citizen_phone",
            }
        )
        try:
            self.submission = intake.clean_submission(
                questions=self.questions,
                data={
                    key: self.data.get(key, "")
                    for key in self.base_fields
                    if key not in ("photos", "submission_token")
                },
                raw_answers=raw_answers,
                require_description=True,
            )
        except intake.SubmissionError as error:
            for field_name, message in error.errors:
                name = field_of.get(field_name, field_name)
                self.add_error(name if name in self.fields else None, message)
        photos = cleaned.get("photos") or []
        if photos:
            try:
                # checked (and re-encoded) once: submit_request stores these as they are
                cleaned["photos"] = workflow.check_photos(photos, self.service)
            except ValidationError as error:
                self.add_error("photos", error)
        return cleaned


class TrackForm(forms.Form):
    code = forms.CharField(label=_("Tracking code"), max_length=40)


class RatingForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("How satisfied are you with the service?"),
        choices=[(n, str(n)) for n in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class QueueFilterForm(forms.Form):
    STATUS_CHOICES = [
        ("", _("All")),
        ("open", pgettext_lazy("request status", "Open")),
        *ServiceRequest.Status.choices,
    ]
    DEADLINE_CHOICES = [
        ("", _("Any")),
        (DeadlineStatus.AT_RISK, DeadlineStatus.AT_RISK.label),
        (DeadlineStatus.OVERDUE, DeadlineStatus.OVERDUE.label),
    ]
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.none(), required=False
    )
    service = forms.ModelChoiceField(
        label=_("Service"), queryset=Service.objects.none(), required=False
    )
    status = forms.ChoiceField(label=_("Status"), choices=STATUS_CHOICES, required=False)
    deadline = forms.ChoiceField(label=_("Deadline"), choices=DEADLINE_CHOICES, required=False)
    mine = forms.BooleanField(label=_("Assigned to me"), required=False)

    def __init__(self, *args, person, **kwargs):
        super().__init__(*args, **kwargs)
        departments = Department.objects.visible_to(person)
        if not sees_whole_agency(person):
            departments = departments.filter(pk__in=person.department_ids)
        self.fields["department"].queryset = departments
        self.fields["service"].queryset = Service.objects.visible_to(person)


class ActionForm(forms.Form):
    note = forms.CharField(
        label=_("Message to the citizen"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class UpdateForm(forms.Form):
    text = forms.CharField(
        label=_("Text"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    public = forms.BooleanField(
        label=_("Visible to the citizen"),
        required=False,
        help_text=_("Leave unticked for an internal note."),
    )


class TransferForm(forms.Form):
    department = forms.ModelChoiceField(
        label=_("To department"), queryset=Department.objects.none()
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, request, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.filter(
            agency_id=request.service.agency_id, is_active=True
        ).exclude(pk=request.department_id)


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label=_("Assign to"), queryset=Person.objects.none(), required=False
    )

    def __init__(self, *args, request, **kwargs):
        super().__init__(*args, **kwargs)
        department = request.department
        ids = [department.pk] + ([department.parent_id] if department.parent_id else [])
        self.fields["assignee"].queryset = Person.objects.filter(
            memberships__department_id__in=ids, is_active=True
        ).distinct()


class HolidayForm(forms.ModelForm):
    class Meta:
        model = Holiday
        fields = ["date", "name", "is_working_day"]
        widgets = {"date": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, agency, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.agency = agency

    def clean_date(self):
        day = self.cleaned_data["date"]
        if Holiday.objects.filter(agency=self.instance.agency, date=day).exists():
            raise ValidationError(_("%(date)s is in the calendar already.") % {"date": day})
        return day

    def clean(self):
        cleaned = super().clean()
        day = cleaned.get("date")
        if day and cleaned.get("is_working_day") and day.weekday() < 5:
            self.add_error(
                "is_working_day", _("Only a Saturday or Sunday can be a worked weekend day.")
            )
        return cleaned


class StatisticsForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100, required=False)
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.none(), required=False
    )

    def __init__(self, *args, person, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.visible_to(person)
        self.fields["year"].initial = timezone.localdate().year
