"""Tables of evidence packs: the definition and build state, shares with certifiers (guardian
object permissions plus an expiry), and the download log. Changes live in ``workflow.py``."""

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from processes.models import Clause
from qms_portal.audit_trail import ChainedHistoricalRecords, TableNamedHistoricalRecords
from qms_portal.organisation.models import Agency, Department
from qms_portal.visibility import AgencyScopedQuerySet


class Section(models.TextChoices):
    """The parts a pack can contain, in the order they are printed."""

    POLICY = "policy", _("Quality policy and objectives")
    DOCUMENTS = "documents", _("Document register, revision history and signatures")
    PROCESSES = "processes", _("Process register, process map and KPI results")
    RISKS = "risks", _("Risk register")
    AUDITS = "audits", _("Audit programme and audit reports")
    NONCONFORMITIES = "nonconformities", _("Nonconformities and corrective actions")
    REVIEWS = "reviews", _("Management review records")
    SERVICES = "services", _("Citizen service performance")
    ACKNOWLEDGEMENTS = "acknowledgements", _("Read-and-acknowledge records")
    ASSESSMENT = "assessment", _("Local-government self-assessment")


ALL_SECTIONS = [section.value for section in Section]
DEFAULT_CLAUSES = ["4", "5", "6", "7", "8", "9", "10"]


def pack_build_seconds():
    """Longest a build may run before it is stopped and marked failed."""
    return int(getattr(settings, "QMS_PACK_BUILD_SECONDS", 900))


def pack_heartbeat_seconds():
    """How often a building worker renews its lease."""
    return int(getattr(settings, "QMS_PACK_HEARTBEAT_SECONDS", 15))


def pack_lease_stale_seconds():
    """A lease not renewed for this long: the worker died; the sweep queues the build again."""
    return int(getattr(settings, "QMS_PACK_LEASE_STALE_SECONDS", 90))


def pack_build_attempts():
    """Tries a build gets when its worker keeps dying, before it is marked failed."""
    return int(getattr(settings, "QMS_PACK_BUILD_ATTEMPTS", 3))


class EvidencePackQuerySet(AgencyScopedQuerySet):
    """Quality managers and administrators see their agency's packs; a certifier sees the packs
    shared with them while the share is in force (not expired, not revoked); nobody else."""

    def visible_to_certifier(self, person):
        granted = EvidencePackUserObjectPermission.objects.filter(
            user=person, permission__codename="view_evidencepack"
        ).values("content_object_id")
        active = PackShare.objects.active().filter(certifier=person, pack=OuterRef("pk"))
        return self.filter(Q(pk__in=granted) & Exists(active))

    def visible_to_agency_reader(self, mine, person):
        return mine if (person.is_quality_manager or person.is_administrator) else self.none()

    def visible_to_staff(self, mine, person):
        return self.none()


class EvidencePack(models.Model):
    """What a quality manager asked to be gathered, and the state of its build."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        BUILDING = "building", _("Building")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    class Stage(models.TextChoices):
        WAITING = "waiting", _("Waiting for a worker")
        GATHERING = "gathering", _("Gathering records")
        FILES = "files", _("Collecting document files")
        RENDERING = "rendering", _("Rendering the PDF")
        PACKING = "packing", _("Writing the ZIP")
        DONE = "done", _("Done")

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="evidence_packs")
    reference = models.CharField(_("reference"), max_length=30)
    title = models.CharField(_("title"), max_length=200)
    departments = models.ManyToManyField(
        Department,
        blank=True,
        related_name="evidence_packs",
        verbose_name=_("departments in scope"),
        help_text=_("Leave empty for the whole agency."),
        db_table="audits_evidencepack_departments",
    )
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    clauses = models.ManyToManyField(
        Clause,
        related_name="evidence_packs",
        verbose_name=_("ISO 9001 clauses"),
        db_table="audits_evidencepack_clauses",
    )
    sections = models.JSONField(_("sections"), default=list)
    language = models.CharField(_("language"), max_length=10, default="en")
    defined_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    defined_at = models.DateTimeField(_("defined"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    stage = models.CharField(_("stage"), max_length=10, choices=Stage.choices, default="waiting")
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    build_number = models.PositiveIntegerField(default=0)
    build_started_at = models.DateTimeField(null=True, blank=True)
    built_at = models.DateTimeField(_("built"), null=True, blank=True)
    error = models.TextField(_("why the build failed"), blank=True)
    zip_path = models.CharField(max_length=300, blank=True, editable=False)
    zip_sha256 = models.CharField(_("SHA-256 of the ZIP"), max_length=64, blank=True)
    pdf_sha256 = models.CharField(_("SHA-256 of the PDF"), max_length=64, blank=True)
    manifest_sha256 = models.CharField(_("SHA-256 of manifest.json"), max_length=64, blank=True)
    page_count = models.PositiveIntegerField(_("pages"), null=True, blank=True)
    file_count = models.PositiveIntegerField(_("files"), null=True, blank=True)
    history = ChainedHistoricalRecords(
        table_name="audits_historicalevidencepack", m2m_fields=[departments, clauses]
    )

    #: Built, hashed and shared by the pack workflow; the admin only reads a pack.
    workflow_fields = ("status", "stage", "progress", "built_at", "zip_sha256", "pdf_sha256")

    objects = EvidencePackQuerySet.as_manager()

    class Meta:
        db_table = "audits_evidencepack"
        verbose_name = _("evidence pack")
        verbose_name_plural = _("evidence packs")
        ordering = ["-defined_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "reference"], name="pack_reference_unique"),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="pack_period_in_order",
            ),
        ]

    def __str__(self):
        return f"{self.reference} · {self.title}"

    def get_absolute_url(self):
        return reverse("packs:pack", args=[self.pk])

    def is_protected(self):
        """Built (also while it is built again): the ZIP a certifier reads, its hashes, shares and
        downloads are kept."""
        return self.status == self.Status.READY or self.has_built_zip

    @property
    def is_ready(self):
        return self.status == self.Status.READY and bool(self.zip_path)

    @property
    def has_built_zip(self):
        """A build finished once: its ZIP (and hashes) stay the pack's until another finishes."""
        return bool(self.zip_path and self.zip_sha256)

    @property
    def is_previous_build(self):
        """The ZIP on offer is the last one built while a newer build runs or after it failed."""
        return self.has_built_zip and not self.is_ready

    @property
    def is_running(self):
        return self.status in (self.Status.QUEUED, self.Status.BUILDING)

    @property
    def has_failed(self):
        return self.status == self.Status.FAILED

    @property
    def pdf_name(self):
        return f"{self.reference}.pdf"

    @property
    def zip_name(self):
        return f"{self.reference}.zip"

    def section_labels(self):
        return [Section(code).label for code in ALL_SECTIONS if code in self.sections]


class EvidencePackUserObjectPermission(UserObjectPermissionBase):
    """Direct foreign-key guardian permissions: who may view which pack."""

    content_object = models.ForeignKey(EvidencePack, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        db_table = "audits_evidencepackuserobjectpermission"


class EvidencePackGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(EvidencePack, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        db_table = "audits_evidencepackgroupobjectpermission"


class PackShareQuerySet(models.QuerySet):
    def active(self, now=None):
        return self.filter(revoked_at__isnull=True, expires_at__gt=now or timezone.now())

    def lapsed_with_permissions(self, now=None):
        """Shares past their expiry whose permissions have not been taken back yet."""
        return self.filter(
            revoked_at__isnull=True, ended_at__isnull=True, expires_at__lte=now or timezone.now()
        )


class PackShare(models.Model):
    """A pack shared with one certifier until ``expires_at``; revocable at any time."""

    class State(models.TextChoices):
        """Derived from the dates (no column): in force, then expired or withdrawn."""

        IN_FORCE = "in_force", _("in force")
        EXPIRED = "expired", _("expired")
        WITHDRAWN = "withdrawn", _("withdrawn")

    pack = models.ForeignKey(EvidencePack, on_delete=models.CASCADE, related_name="shares")
    certifier = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="pack_shares",
        verbose_name=_("certifier"),
    )
    expires_at = models.DateTimeField(_("expires"))
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    shared_at = models.DateTimeField(_("shared"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # When the permissions were taken back (revocation or the expiry sweep).
    ended_at = models.DateTimeField(null=True, blank=True)
    # Documents this share granted (the certifier could not see them before), to take back later.
    granted_document_ids = models.JSONField(default=list, blank=True)
    history = ChainedHistoricalRecords(table_name="audits_historicalpackshare")

    objects = PackShareQuerySet.as_manager()

    class Meta:
        db_table = "audits_packshare"
        verbose_name = _("evidence pack share")
        verbose_name_plural = _("evidence pack shares")
        ordering = ["-shared_at", "-pk"]

    def __str__(self):
        return f"{self.pack.reference} → {self.certifier}"

    def is_protected(self):
        """A share is the record of who was given what, when: revoked, never removed."""
        return True

    def is_active(self, now=None):
        return self.revoked_at is None and self.expires_at > (now or timezone.now())

    @property
    def state(self):
        if self.revoked_at is not None:
            return self.State.WITHDRAWN
        return self.State.IN_FORCE if self.is_active() else self.State.EXPIRED

    def get_state_display(self):
        return self.State(self.state).label


class PackBuildLease(models.Model):
    """Which worker holds the pack's current build and when it last showed it is alive.

    Bookkeeping next to the pack (whose history is hash-chained and not rewritten every few
    seconds): queued with ``attempt`` 1, taken by the worker that claims the build, renewed by its
    heartbeat; the beat sweep (``workflow.recover_stale_builds``) queues a build whose heartbeat
    stopped again with ``attempt`` + 1, or marks it failed once the attempts are used up."""

    pack = models.OneToOneField(
        EvidencePack, on_delete=models.CASCADE, primary_key=True, related_name="lease"
    )
    build_number = models.PositiveIntegerField(_("build"))
    attempt = models.PositiveSmallIntegerField(_("attempt"), default=1)
    worker = models.CharField(_("worker"), max_length=200, blank=True)  # host:pid
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)

    class Meta:
        db_table = "audits_packbuildlease"
        verbose_name = _("evidence pack build lease")
        verbose_name_plural = _("evidence pack build leases")

    def __str__(self):
        return f"{self.pack_id} build {self.build_number} ({self.worker or '-'})"


class PackDownload(models.Model):
    """One download of a pack: who, when, from which address (append-only log)."""

    pack = models.ForeignKey(EvidencePack, on_delete=models.CASCADE, related_name="downloads")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    downloaded_at = models.DateTimeField(_("downloaded"), default=timezone.now)
    client_address = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    zip_sha256 = models.CharField(max_length=64)
    history = TableNamedHistoricalRecords(table_name="audits_historicalpackdownload")

    class Meta:
        db_table = "audits_packdownload"
        verbose_name = _("evidence pack download")
        verbose_name_plural = _("evidence pack downloads")
        ordering = ["-downloaded_at", "-pk"]

    def __str__(self):
        return f"{self.pack.reference} ↓ {self.person} {self.downloaded_at:%Y-%m-%d %H:%M}"

    def is_protected(self):
        """An append-only log: every download stays on record."""
        return True
