"""Agency → departments → sections, the people who work in them, and notifications to them."""

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from ..visibility import AgencyScopedQuerySet
from .roles import INTERNAL_ROLES, Role

code_validator = RegexValidator(
    r"^[A-Z][A-Z0-9]{1,9}$",
    _("Use 2 to 10 capital letters or digits, starting with a letter (for example FIN)."),
)


class Agency(models.Model):
    """A government body certified (or seeking certification) to ISO 9001."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    short_name = models.CharField(_("short name"), max_length=60, blank=True)
    code = models.CharField(_("code"), max_length=10, unique=True, validators=[code_validator])
    address = models.CharField(_("address"), max_length=300, blank=True)
    verification_deputy = models.ForeignKey(
        "Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("verification deputy"),
        help_text=_(
            "Verifies the effectiveness of corrective action on nonconformities a quality manager "
            "is responsible for (ISO 9001 10.2.1), where no other quality manager can: a deputy "
            "or a member of top management, never the responsible person."
        ),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["name"]

    def __str__(self):
        return self.short_name or self.name


class DepartmentQuerySet(AgencyScopedQuerySet):
    """Agency people see their agency's departments; a certifier only those shared with them."""

    def visible_to_certifier(self, person):
        shared = DepartmentUserObjectPermission.objects.filter(
            user=person, permission__codename="view_department"
        ).values("content_object_id")
        return self.filter(pk__in=shared)

    def top_level(self):
        return self.filter(parent__isnull=True)


class Department(models.Model):
    """A department of the agency, or a section within a department (at most two levels)."""

    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="departments", verbose_name=_("agency")
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sections",
        verbose_name=_("part of department"),
    )
    code = models.CharField(
        _("code"),
        max_length=10,
        validators=[code_validator],
        help_text=_("Used in document numbers, for example PRO-FIN-003."),
    )
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("contact e-mail"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    objects = DepartmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["agency", "code"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "code"], name="department_code_unique"),
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("pk")), name="department_not_own_parent"
            ),
        ]
        permissions = [("manage_department", _("Can manage the department and its people"))]

    def __str__(self):
        return f"{self.code} · {self.name}"

    def get_absolute_url(self):
        return reverse("organisation:department", args=[self.pk])

    def clean(self):
        if self.parent_id is None:
            return
        if self.parent.parent_id is not None:
            raise ValidationError(
                {"parent": _("A section belongs to a department, not to another section.")}
            )
        if self.parent.agency_id != self.agency_id:
            raise ValidationError({"parent": _("A section belongs to a department of its agency.")})
        if self.pk and self.sections.exists():
            raise ValidationError(
                {"parent": _("This department has sections, so it cannot become a section itself.")}
            )

    @property
    def is_section(self):
        return self.parent_id is not None


class DepartmentUserObjectPermission(UserObjectPermissionBase):
    """Direct foreign-key object permissions (guardian), kept apart from the generic table."""

    content_object = models.ForeignKey(Department, on_delete=models.CASCADE)


class DepartmentGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Department, on_delete=models.CASCADE)


class PersonQuerySet(models.QuerySet):
    def visible_to(self, person):
        """Agency people see their colleagues; an external certifier sees only themselves."""
        if not person.is_authenticated or not person.is_active:
            return self.none()
        if person.is_superuser:
            return self
        if person.is_certifier or person.agency_id is None:
            return self.filter(pk=person.pk)
        return self.filter(agency_id=person.agency_id)

    def with_role(self, role):
        return self.filter(groups__name=role).distinct()


class PersonManager(UserManager.from_queryset(PersonQuerySet)):
    pass


class Person(AbstractUser):
    """Someone who signs in: agency staff, or an external certifier (no agency)."""

    agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="people",
        verbose_name=_("agency"),
        help_text=_("Empty for external people such as certifiers."),
    )
    departments = models.ManyToManyField(
        Department,
        through="Membership",
        related_name="people",
        blank=True,
        verbose_name=_("departments"),
    )
    job_title = models.CharField(_("job title"), max_length=120, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    external_organisation = models.CharField(
        _("external organisation"),
        max_length=200,
        blank=True,
        help_text=_("For certifiers: the certification body they work for."),
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=[("en", "English"), ("zh-hans", "简体中文")],
        default="zh-hans",
    )
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    objects = PersonManager()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["last_name", "first_name", "username"]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self):
        return self.get_full_name() or self.username

    @cached_property
    def role_names(self):
        """The person's roles, read once per request."""
        if not self.is_authenticated:
            return frozenset()
        return frozenset(self.groups.values_list("name", flat=True))

    def has_role(self, role):
        return role in self.role_names or (role == Role.ADMINISTRATOR and self.is_superuser)

    @property
    def is_quality_manager(self):
        return self.has_role(Role.QUALITY_MANAGER)

    @property
    def is_auditor(self):
        return self.has_role(Role.AUDITOR)

    @property
    def is_certifier(self):
        return Role.CERTIFIER in self.role_names and not (self.role_names & INTERNAL_ROLES)

    @property
    def is_administrator(self):
        return self.has_role(Role.ADMINISTRATOR)

    @cached_property
    def department_ids(self):
        """Departments the person belongs to, with the sections inside them."""
        own = set(self.memberships.values_list("department_id", flat=True))
        sections = Department.objects.filter(parent_id__in=own).values_list("pk", flat=True)
        return frozenset(own | set(sections))


class Membership(models.Model):
    """A person's place in a department; heads manage the department."""

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("person")
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("department"),
    )
    is_head = models.BooleanField(_("head of department"), default=False)
    since = models.DateField(_("since"), default=timezone.localdate)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["person", "department"], name="membership_unique")
        ]

    def __str__(self):
        return f"{self.person} @ {self.department.code}"

    def clean(self):
        if self.person.agency_id and self.department.agency_id != self.person.agency_id:
            raise ValidationError(_("A person can only join departments of their own agency."))


class NotificationQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)

    def pending_email(self):
        return self.filter(emailed_at__isnull=True)


class Notification(models.Model):
    """A message to one person, shown in the portal and e-mailed once.

    ``key`` makes reminders idempotent: the same reminder raised twice is one notification.
    """

    recipient = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    key = models.CharField(pgettext_lazy("notification", "key"), max_length=200, unique=True)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(_("e-mail attempts"), default=0)
    history = HistoricalRecords()

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self):
        return self.subject


class OutboxTaskQuerySet(models.QuerySet):
    def unpublished(self):
        return self.filter(published_at__isnull=True)


class OutboxTask(models.Model):
    """A Celery task recorded in the same transaction as the change that causes it.

    It is published to the broker after commit; if the broker is down, a beat sweep publishes it
    once the broker is back. Tasks are idempotent, so a task published twice has one effect.
    """

    task_name = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    published_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)

    objects = OutboxTaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("queued task")
        verbose_name_plural = _("queued tasks")
        indexes = [models.Index(fields=["published_at", "created_at"])]

    def __str__(self):
        return f"{self.task_name} #{self.pk}"


class AuditChainHead(models.Model):
    """The end of one history table's hash chain (see qms_portal.audit_trail)."""

    table = models.CharField(max_length=100, unique=True)
    last_hash = models.CharField(max_length=64, blank=True)
    length = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("audit-trail chain")

    def __str__(self):
        return f"{self.table}: {self.length} rows"


class ReferenceSequence(models.Model):
    """The last number given for one kind of reference in one agency and year (NC-2026-007).

    Numbering locks this one row, not the agency: two departments raising nonconformities, or
    signing documents, never wait on each other (see qms_portal.sequences)."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=40)
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("reference sequence")
        verbose_name_plural = _("reference sequences")
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "kind", "year"], name="one_reference_sequence_per_kind_and_year"
            )
        ]

    def __str__(self):
        return f"{self.agency_id} {self.kind} {self.year}: {self.last_value}"


class SealedChainHead(models.Model):
    """A published statement of every chain head at one moment, sealed with a key that is not in
    the database (see qms_portal.chain_seal).

    The short sealed head (``QMSH1-…``) goes where third parties keep it — an evidence pack's
    cover and manifest, the public transparency page — and ``verify_audit_trail --against`` later
    proves no chained row up to those heads has been rewritten since, even by someone who
    recomputed every hash."""

    issued_at = models.DateTimeField(_("issued at"))
    occasion = models.CharField(_("occasion"), max_length=200)
    #: Set where one head belongs to one thing for good (``pack:12``: the head printed on that
    #: evidence pack, which every rebuild prints again so the pack's bytes stay reproducible).
    key = models.CharField(max_length=100, unique=True, null=True, blank=True, editable=False)
    statement = models.TextField(_("statement"))
    seal = models.CharField(_("seal"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("sealed chain head")
        verbose_name_plural = _("sealed chain heads")
        ordering = ["-issued_at", "-pk"]

    def __str__(self):
        from ..chain_seal import published_form

        return published_form(self)


class FailedSignInQuerySet(models.QuerySet):
    def record(self, *, username, client_address, reason):
        """Write one failed sign-in: the name as typed (cut to fit), the address, why."""
        return self.create(
            username=(username or "")[: self.model._meta.get_field("username").max_length],
            client_address=(client_address or "")[:64],
            reason=reason,
        )

    record.alters_data = True


class FailedSignIn(models.Model):
    """A sign-in that did not succeed, kept where an administrator or auditor can read it.

    Written once by the sign-in form, never changed or removed by the portal (the admin shows it
    read-only). The person signing in is only ever told "wrong name or password" or "wait"; which
    of the reasons applied is for the log alone, so accounts cannot be probed through it.
    """

    class Reason(models.TextChoices):
        WRONG_PASSWORD = "wrong_password", _("wrong password")
        UNKNOWN_ACCOUNT = "unknown_account", _("no such account")
        INACTIVE_ACCOUNT = "inactive_account", _("account deactivated")
        ACCOUNT_LOCKED = "account_locked", _("refused: account locked")
        ADDRESS_BACKOFF = "address_backoff", _("refused: address backing off")

    attempted_at = models.DateTimeField(_("attempted at"), default=timezone.now, db_index=True)
    username = models.CharField(_("name typed"), max_length=150, blank=True)
    client_address = models.CharField(_("client address"), max_length=64, blank=True)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)

    objects = FailedSignInQuerySet.as_manager()

    class Meta:
        verbose_name = _("failed sign-in")
        verbose_name_plural = _("failed sign-ins")
        ordering = ["-attempted_at", "-pk"]
        indexes = [
            models.Index(
                fields=["client_address", "attempted_at"], name="failed_sign_in_address_idx"
            )
        ]

    def __str__(self):
        return f"{self.username or '—'} from {self.client_address or '—'} ({self.reason})"
