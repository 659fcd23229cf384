"""Citizen services (ISO 9001:2015 clauses 8.2 and 9.1.2): the public catalogue with service
commitments, the agency's holiday calendar, and the requests citizens make (by web form or Open311).

A citizen's name, e-mail and phone are stored on the request for staff only; public pages and the
Open311 API never show them.
"""

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from qms_portal.organisation.models import Agency, Department
from qms_portal.visibility import AgencyScopedQuerySet

service_code_validator = RegexValidator(
    r"^[A-Z0-9][A-Z0-9_-]{1,29}$",
    _("Use 2 to 30 capital letters, digits, hyphens or underscores (for example URB-LIGHT)."),
)

# Crockford's base32 without I, L, O, U: easy to read aloud and to type from a printed receipt.
TRACKING_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
TRACKING_LENGTH = 16  # 80 random bits


def new_tracking_code():
    """An unguessable, readable tracking code such as ``7KQ2-MX9D-4TRB-ZW3H``."""
    raw = "".join(secrets.choice(TRACKING_ALPHABET) for _position in range(TRACKING_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, TRACKING_LENGTH, 4))


def normalise_tracking_code(text):
    """What a citizen typed (spaces, lower case, O for 0, missing hyphens) as a stored code; None
    when it is not one. Control characters are nobody's typing (and a NUL fails in PostgreSQL)."""
    text = str(text or "").strip()
    if not text.isprintable():
        return None
    raw = "".join(ch for ch in text.upper() if ch.isalnum())
    raw = raw.replace("O", "0").replace("I", "1").replace("L", "1")
    if len(raw) != TRACKING_LENGTH or any(ch not in TRACKING_ALPHABET for ch in raw):
        return None
    return "-".join(raw[i : i + 4] for i in range(0, TRACKING_LENGTH, 4))


class Holiday(models.Model):
    """A public holiday of the agency, or a weekend day worked instead (a working-day swap)."""

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="holidays", verbose_name=_("agency")
    )
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100)
    is_working_day = models.BooleanField(
        _("worked weekend day"),
        default=False,
        help_text=_("Tick for a Saturday or Sunday that is worked to make up for a holiday."),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "date"], name="services_holiday_unique")
        ]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.name}"


class ServiceQuerySet(AgencyScopedQuerySet):
    """``visible_to``: the agency's own people see all its services (the kernel's defaults)."""

    def public(self):
        """Open to citizens: active and public (the catalogue and the Open311 service list)."""
        return self.filter(is_active=True, is_public=True)


class Service(models.Model):
    """A service the agency offers citizens, with its promise (commitment in working days)."""

    class Open311Type(models.TextChoices):
        REALTIME = "realtime", _("Request number returned at once")
        BATCH = "batch", _("Token returned, request number later")

    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="services", verbose_name=_("agency")
    )
    code = models.CharField(
        _("code"), max_length=30, unique=True, validators=[service_code_validator]
    )
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="services",
        verbose_name=_("responsible department"),
    )
    commitment_days = models.PositiveSmallIntegerField(
        _("commitment (working days)"),
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("The promised completion time, in working days after submission."),
    )
    group = models.CharField(pgettext_lazy("service catalogue", "group"), max_length=60, blank=True)
    keywords = models.CharField(_("keywords"), max_length=200, blank=True)
    service_notice = models.CharField(
        _("notice to the citizen"),
        max_length=500,
        blank=True,
        help_text=_("What happens next; returned to Open311 clients as service_notice."),
    )
    open311_type = models.CharField(
        _("Open311 type"),
        max_length=10,
        choices=Open311Type.choices,
        default=Open311Type.REALTIME,
    )
    is_complaint = models.BooleanField(
        _("complaint channel"),
        default=False,
        help_text=_("Requests of this service are complaints (candidates for a nonconformity)."),
    )
    is_public = models.BooleanField(_("open to the public"), default=True)
    is_active = models.BooleanField(_("active"), default=True)
    # Open311 discovery's changeset: clients re-read the catalogue when it moves.
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)
    history = HistoricalRecords()

    objects = ServiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} · {self.name}"

    def get_absolute_url(self):
        return reverse("services:service", args=[self.code])

    @property
    def name(self):
        """The name in the reader's language (Chinese or English), falling back to the other."""
        if (get_language() or "").startswith("zh"):
            return self.name_zh or self.name_en
        return self.name_en or self.name_zh

    @property
    def description(self):
        if (get_language() or "").startswith("zh"):
            return self.description_zh or self.description_en
        return self.description_en or self.description_zh


class ServiceQuestion(models.Model):
    """An extra question of a service; an Open311 service-definition attribute."""

    class Kind(models.TextChoices):
        STRING = "string", _("Short text")
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        DATE = "datetime", _("Date")
        SINGLE = "singlevaluelist", _("Single choice")
        MULTIPLE = "multivaluelist", _("Multiple choice")

    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="questions", verbose_name=_("service")
    )
    code = models.CharField(
        _("code"), max_length=30, validators=[service_code_validator], help_text=_("Open311 code")
    )
    text_zh = models.CharField(_("question (Chinese)"), max_length=300)
    text_en = models.CharField(_("question (English)"), max_length=300)
    kind = models.CharField(_("kind of answer"), max_length=20, choices=Kind.choices)
    required = models.BooleanField(_("required"), default=False)
    order = models.PositiveSmallIntegerField(_("order"), default=1)
    choices = models.TextField(
        _("choices"),
        blank=True,
        help_text=_("One per line as key|name, for single and multiple choice."),
    )
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["service", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["service", "code"], name="services_question_code"),
            models.UniqueConstraint(fields=["service", "order"], name="services_question_order"),
        ]

    def __str__(self):
        return f"{self.service.code}/{self.code}"

    @property
    def text(self):
        if (get_language() or "").startswith("zh"):
            return self.text_zh or self.text_en
        return self.text_en or self.text_zh

    @property
    def choice_list(self):
        """[(key, name)] parsed from the choices text."""
        pairs = []
        for line in self.choices.splitlines():
            if not line.strip():
                continue
            key, _sep, name = line.partition("|")
            pairs.append((key.strip(), (name or key).strip()))
        return pairs

    @property
    def is_choice(self):
        return self.kind in (self.Kind.SINGLE, self.Kind.MULTIPLE)


def catalogue_changed_at():
    """When the service catalogue last changed: a service or question saved, or one deleted (seen
    in history). None for an empty catalogue. Open311 discovery reports it as the changeset."""
    moments = [
        Service.objects.aggregate(moment=Max("updated_at"))["moment"],
        ServiceQuestion.objects.aggregate(moment=Max("updated_at"))["moment"],
        Service.history.filter(history_type="-").aggregate(moment=Max("history_date"))["moment"],
        ServiceQuestion.history.filter(history_type="-").aggregate(moment=Max("history_date"))[
            "moment"
        ],
    ]
    return max((moment for moment in moments if moment), default=None)


class ApiKey(models.Model):
    """An Open311 client allowed to create requests (issued by administrators)."""

    name = models.CharField(_("client name"), max_length=120)
    key = models.CharField(_("key"), max_length=64, unique=True, default=secrets.token_urlsafe)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    history = HistoricalRecords(excluded_fields=["key"])

    class Meta:
        verbose_name = _("Open311 API key")
        verbose_name_plural = _("Open311 API keys")
        ordering = ["name"]

    def __str__(self):
        return self.name


class ServiceRequestQuerySet(AgencyScopedQuerySet):
    """``visible_to``: staff see their departments' requests; quality managers, auditors and
    administrators the agency's. Certifiers and other agencies see none (contact details are
    inside)."""

    agency_field = "service__agency"

    def visible_to_staff(self, mine, person):
        return mine.filter(department_id__in=person.department_ids)

    def open(self):
        return self.filter(status__in=ServiceRequest.OPEN_STATUSES)

    def overdue(self, today):
        return self.open().filter(due_date__lt=today)

    def at_risk(self, today, until):
        """Open and due between today and ``until`` (see :func:`services.deadlines.at_risk_until`)."""
        return self.open().filter(due_date__gte=today, due_date__lte=until)

    def published(self):
        """Requests of public services: the ones the Open311 API lists."""
        return self.filter(service__is_public=True)

    def nonconformity_candidates(self):
        """Complaints and low ratings not yet linked to a nonconformity (for the audits app)."""
        return self.filter(
            Q(service__is_complaint=True) | Q(rating__lte=ServiceRequest.LOW_RATING),
            nonconformity_ref="",
        )


class ServiceRequest(models.Model):
    """One citizen's request: from the public form or an Open311 client, the same record."""

    class Status(models.TextChoices):
        # A context of their own: other apps use the same English words with other meanings
        # ("Acknowledged" is a date column in documents, "Rejected" a review verdict).
        RECEIVED = "received", pgettext_lazy("request status", "Received")
        ACKNOWLEDGED = "acknowledged", pgettext_lazy("request status", "Acknowledged")
        IN_PROGRESS = "in_progress", pgettext_lazy("request status", "In progress")
        RESOLVED = "resolved", pgettext_lazy("request status", "Resolved")
        CLOSED = "closed", pgettext_lazy("request status", "Closed")
        REJECTED = "rejected", pgettext_lazy("request status", "Rejected")

    class Channel(models.TextChoices):
        WEB = "web", _("Public web form")
        OPEN311 = "open311", _("Open311 API")

    OPEN_STATUSES = (Status.RECEIVED, Status.ACKNOWLEDGED, Status.IN_PROGRESS)
    DONE_STATUSES = (Status.RESOLVED, Status.CLOSED, Status.REJECTED)
    LOW_RATING = 2

    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="requests", verbose_name=_("service")
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="service_requests",
        verbose_name=_("responsible department"),
    )
    tracking_code = models.CharField(_("tracking code"), max_length=19, unique=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    description = models.TextField(_("description"), max_length=4000)
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    # Contact details: staff only, never on public pages or in the API.
    citizen_name = models.CharField(_("name"), max_length=120, blank=True)
    citizen_email = models.EmailField(_("e-mail"), blank=True)
    citizen_phone = models.CharField(_("phone"), max_length=40, blank=True)
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        help_text=_("The language the citizen used; e-mails to them are written in it."),
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    address_id = models.CharField(_("address id"), max_length=60, blank=True)
    zipcode = models.CharField(_("postal code"), max_length=20, blank=True)
    lat = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    long = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    media_url = models.URLField(_("media URL"), max_length=500, blank=True)
    api_key = models.ForeignKey(
        ApiKey, on_delete=models.PROTECT, null=True, blank=True, related_name="requests"
    )
    device_id = models.CharField(_("device id"), max_length=100, blank=True)
    account_id = models.CharField(_("account id"), max_length=100, blank=True)
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("last changed"), default=timezone.now)
    due_date = models.DateField(_("due"), db_index=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_service_requests",
        verbose_name=_("assigned to"),
    )
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    public_note = models.TextField(
        _("latest public update"), blank=True, help_text=_("Shown to the citizen and via Open311.")
    )
    rating = models.PositiveSmallIntegerField(
        _("rating"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    rating_comment = models.TextField(_("rating comment"), max_length=2000, blank=True)
    rated_at = models.DateTimeField(_("rated"), null=True, blank=True)
    nonconformity_ref = models.CharField(
        _("nonconformity"),
        max_length=60,
        blank=True,
        help_text=_("Reference of the nonconformity raised in audits from this request."),
    )
    history = HistoricalRecords(excluded_fields=["citizen_name", "citizen_email", "citizen_phone"])

    workflow_fields = ("status", "tracking_code", "submitted_at", "due_date", "rating")

    objects = ServiceRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        ordering = ["-submitted_at", "-pk"]
        indexes = [
            models.Index(fields=["department", "status", "due_date"]),
            models.Index(fields=["service", "submitted_at"]),
            models.Index(fields=["status", "due_date"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="services_rating_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(lat__isnull=True) | Q(lat__gte=-90, lat__lte=90),
                name="services_lat_range",
            ),
            models.CheckConstraint(
                condition=Q(long__isnull=True) | Q(long__gte=-180, long__lte=180),
                name="services_long_range",
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.service.code}"

    def get_absolute_url(self):
        return reverse("services:request", args=[self.pk])

    def get_tracking_url(self):
        return reverse("services:track", args=[self.tracking_code])

    def is_protected(self):
        """Acknowledged (受理) or taken further: the agency's commitment clock and the citizen's
        record run from here, so the request changes only through the queue's workflow."""
        return self.status != self.Status.RECEIVED

    @property
    def is_open(self):
        return self.status in self.OPEN_STATUSES

    @property
    def is_rejected(self):
        """Refused: the citizen reads the reason on the tracking page."""
        return self.status == self.Status.REJECTED

    @property
    def open311_status(self):
        """Open311 knows two states: open (reported, being handled) and closed (done)."""
        return "open" if self.is_open else "closed"

    @property
    def can_be_rated(self):
        return self.status in (self.Status.RESOLVED, self.Status.CLOSED) and self.rating is None

    @property
    def finished_at(self):
        """When the citizen's request was settled (resolved, or rejected/closed without it)."""
        if self.resolved_at:
            return self.resolved_at
        return self.closed_at if self.status in self.DONE_STATUSES else None


class RequestUpdate(models.Model):
    """A step in a request's life: a status change, a public update or an internal note."""

    request = models.ForeignKey(
        ServiceRequest, on_delete=models.CASCADE, related_name="updates", verbose_name=_("request")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    is_public = models.BooleanField(_("visible to the citizen"), default=False)
    text = models.TextField(_("text"), max_length=4000, blank=True)
    from_status = models.CharField(max_length=20, choices=ServiceRequest.Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=ServiceRequest.Status.choices, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)
    citizen_emailed_at = models.DateTimeField(
        _("e-mailed to the citizen"), null=True, blank=True, editable=False
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("request update")
        verbose_name_plural = _("request updates")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["request", "is_public", "created_at"])]

    def __str__(self):
        return f"{self.request_id}: {self.to_status or ('public' if self.is_public else 'note')}"

    def is_protected(self):
        """The request's log: each step as it was taken, kept with the request."""
        return True


def photo_upload_path(instance, filename):
    return instance.storage_name  # generated by qms_portal.uploads, never the citizen's name


class RequestPhoto(models.Model):
    """A photo attached by the citizen (PNG or JPEG, checked by its bytes)."""

    request = models.ForeignKey(
        ServiceRequest, on_delete=models.CASCADE, related_name="photos", verbose_name=_("request")
    )
    file = models.FileField(_("photo"), upload_to=photo_upload_path, max_length=200)
    storage_name = models.CharField(max_length=200, editable=False)
    original_filename = models.CharField(max_length=150)
    file_kind = models.CharField(max_length=10)
    file_size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")

    def __str__(self):
        return self.original_filename

    def is_protected(self):
        """Attached to a request that has been acknowledged (受理) or taken further."""
        return self.request.is_protected()


class SubmissionKey(models.Model):
    """A key a client sends with a submission, so that the same post sent twice (a double click,
    a retry after a time-out) makes one request and gets the first one's answer.

    ``scope`` keeps clients apart (the public form, or one Open311 api_key); ``fingerprint`` is a
    digest of what was submitted, so a key reused for a different submission is told apart.
    The row is written in the transaction that writes the request: a concurrent second post with
    the same key waits on the unique constraint and then finds the first request.
    """

    scope = models.CharField(max_length=40)
    key = models.CharField(max_length=100)
    fingerprint = models.CharField(max_length=64)
    service_request = models.ForeignKey(
        ServiceRequest,
        on_delete=models.CASCADE,
        null=True,  # set in the same transaction as the row is written; never seen empty
        related_name="submission_keys",
        verbose_name=_("request"),
    )
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("submission key")
        verbose_name_plural = _("submission keys")
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="submission_key_once_per_scope")
        ]

    def __str__(self):
        return f"{self.scope}: {self.key}"
