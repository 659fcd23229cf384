"""Controlled documents (ISO 9001:2015 clause 7.5): register, revisions, signatures, acknowledgements."""

from datetime import date

from django.conf import settings
from django.db import connection, models
from django.db.models import Exists, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from qms_portal.audit_trail import ChainedHistoricalRecords
from qms_portal.organisation.models import Agency, Department
from qms_portal.organisation.roles import sees_whole_agency
from qms_portal.signatures import SignatureBase, digest_of
from qms_portal.visibility import AgencyScopedQuerySet


class DocumentType(models.TextChoices):
    QUALITY_MANUAL = "manual", _("Quality manual")
    POLICY = "policy", _("Policy")
    PROCEDURE = "procedure", _("Procedure")
    WORK_INSTRUCTION = "instruction", _("Work instruction")
    FORM = "form", _("Form / template")
    RECORD = "record", _("Record")
    EXTERNAL = "external", _("External document")


DEFAULT_PREFIXES = {
    DocumentType.QUALITY_MANUAL: "QM",
    DocumentType.POLICY: "POL",
    DocumentType.PROCEDURE: "PRO",
    DocumentType.WORK_INSTRUCTION: "WI",
    DocumentType.FORM: "FRM",
    DocumentType.RECORD: "REC",
    DocumentType.EXTERNAL: "EXT",
}


class Confidentiality(models.TextChoices):
    PUBLIC = "public", _("Public")
    INTERNAL = "internal", _("Internal")
    RESTRICTED = "restricted", _("Restricted to named departments")


class NumberingScheme(models.Model):
    """How documents of one type are numbered in an agency, and their default periods."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="numbering_schemes")
    doc_type = models.CharField(_("type"), max_length=20, choices=DocumentType.choices)
    prefix = models.CharField(_("prefix"), max_length=10)
    number_format = models.CharField(
        _("number format"),
        max_length=60,
        default="{prefix}-{department}-{sequence:03d}",
        help_text=_("Placeholders: {prefix}, {department}, {sequence}, {year}."),
    )
    review_period_months = models.PositiveSmallIntegerField(_("review period (months)"), default=12)
    retention_years = models.PositiveSmallIntegerField(
        _("retention (years, records)"), null=True, blank=True
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("numbering scheme")
        constraints = [
            models.UniqueConstraint(fields=["agency", "doc_type"], name="numbering_scheme_unique")
        ]

    def __str__(self):
        return f"{self.get_doc_type_display()}: {self.number_format}"


class DocumentQuerySet(AgencyScopedQuerySet):
    """Which documents a person may see at all (ISO 9001 7.5.3.1: available where needed,
    protected from improper use).

    Quality managers, auditors and administrators see all of their agency's documents (the shared
    preamble of :class:`~qms_portal.visibility.AgencyScopedQuerySet`). Staff see public and
    internal documents that are in force, restricted ones only for their departments, and every
    document their department owns or they are asked to sign or read. Certifiers see documents
    shared with them.
    """

    def visible_to_certifier(self, person):
        shared = DocumentUserObjectPermission.objects.filter(
            user=person, permission__codename="view_document"
        ).values("content_object_id")
        return self.filter(pk__in=shared).exclude(pk__in=lapsed_share_documents(person))

    def visible_to_staff(self, mine, person):
        departments = person.department_ids
        # Uncorrelated IN subqueries: PostgreSQL hashes each once, where EXISTS joined by OR would
        # be re-run for every document (1.5 s instead of tens of ms on 100,000 documents).
        # A draft withdrawn with its document was never in force: only its department may read it.
        in_force = Q(pk__in=Revision.objects.once_in_force().values("document_id"))
        restricted_to_me = Q(
            pk__in=Document.restricted_to.through.objects.filter(
                department_id__in=departments
            ).values("document_id")
        )
        involved = (
            Q(
                pk__in=Revision.reviewers.through.objects.filter(person=person).values(
                    "revision__document_id"
                )
            )
            | Q(
                pk__in=Revision.approvers.through.objects.filter(person=person).values(
                    "revision__document_id"
                )
            )
            | Q(
                pk__in=Acknowledgement.objects.filter(person=person).values("revision__document_id")
            )
        )
        open_to_me = Q(confidentiality__in=[Confidentiality.PUBLIC, Confidentiality.INTERNAL])
        return mine.filter(
            Q(owner_department_id__in=departments)
            | (in_force & (open_to_me | restricted_to_me))
            | involved
        )

    def due_for_review(self, on=None):
        return self.filter(is_obsolete=False, next_review_due__lte=on or timezone.localdate())

    def overdue_for_review(self, today=None):
        """Past their review date (due today is not yet overdue), as ``is_overdue_for_review``: the
        register's filter, the dashboard tile that links to it and the escalation list agree."""
        return self.filter(is_obsolete=False, next_review_due__lt=today or timezone.localdate())

    def waiting_for(self, person, what):
        """Documents with a revision waiting for the person: ``sign`` it, ``read`` and acknowledge
        it, or ``correct`` it (their draft returned by reviewers). The home page links here."""
        revisions = {
            "sign": Revision.objects.awaiting_signature_by(person),
            "read": Revision.objects.filter(
                pk__in=Acknowledgement.objects.waiting_for(person).values("revision_id")
            ),
            "correct": Revision.objects.returned_to(person),
        }[what]
        return self.filter(Exists(revisions.filter(document=OuterRef("pk"))))

    def with_register_columns(self):
        """Add the latest revision's label and status, and the effective revision's date."""
        latest = Revision.objects.filter(document=OuterRef("pk")).order_by("-created_at", "-pk")
        effective = Revision.objects.filter(
            document=OuterRef("pk"), status=Revision.Status.EFFECTIVE
        )
        return self.select_related("owner", "owner_department").annotate(
            latest_label=Subquery(latest.values("label")[:1]),
            latest_status=Subquery(latest.values("status")[:1]),
            effective_label=Subquery(effective.values("label")[:1]),
            effective_since=Subquery(effective.values("effective_date")[:1]),
        )

    def with_status(self, status):
        if status == Revision.Status.OBSOLETE:
            return self.filter(is_obsolete=True)
        return self.filter(is_obsolete=False, latest_status=status)

    def search(self, text, *, person):
        """Number, title and the text of the revisions the person may read (a draft's words must
        not reveal it to readers of the effective revision): PostgreSQL full-text search where
        available (with a substring match for Chinese, which has no spaces between words), else
        substring."""
        text = text.strip()
        if not text:
            return self
        matches = Q(number__icontains=text) | Q(title__icontains=text)
        revisions = Revision.objects.readable_by(person).filter(document=OuterRef("pk"))
        if connection.vendor == "postgresql":
            from django.contrib.postgres.search import SearchQuery

            words = Q(search=SearchQuery(text, config="simple"))
            revisions = revisions.annotate(search=revision_text_vector()).filter(
                words if text.isascii() else words | Q(extracted_text__icontains=text)
            )
        else:
            revisions = revisions.filter(extracted_text__icontains=text)
        return self.filter(matches | Exists(revisions))


class Document(models.Model):
    """A controlled document: identity, ownership and classification; content lives in revisions."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="documents")
    number = models.CharField(_("number"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=250)
    doc_type = models.CharField(_("type"), max_length=20, choices=DocumentType.choices)
    owner_department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="documents",
        verbose_name=_("owner department"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_documents",
        verbose_name=_("owner"),
    )
    confidentiality = models.CharField(
        _("confidentiality"),
        max_length=20,
        choices=Confidentiality.choices,
        default=Confidentiality.INTERNAL,
    )
    restricted_to = models.ManyToManyField(
        Department, blank=True, related_name="restricted_documents", verbose_name=_("restricted to")
    )
    review_period_months = models.PositiveSmallIntegerField(_("review period (months)"), default=12)
    retention_years = models.PositiveSmallIntegerField(
        _("retention (years)"), null=True, blank=True
    )
    next_review_due = models.DateField(_("next review due"), null=True, blank=True, db_index=True)
    is_obsolete = models.BooleanField(_("obsolete"), default=False)
    obsolete_reason = models.TextField(_("reason made obsolete"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    history = ChainedHistoricalRecords(m2m_fields=[restricted_to])

    #: Set by the numbering scheme and the document workflow (review dates, obsolescence) only.
    workflow_fields = ("number", "agency", "next_review_due", "is_obsolete", "obsolete_reason")

    objects = DocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["number"]

    def __str__(self):
        return f"{self.number} {self.title}"

    def get_absolute_url(self):
        return reverse("documents:detail", args=[self.pk])

    @property
    def is_restricted(self):
        return self.confidentiality == Confidentiality.RESTRICTED

    @property
    def register_status(self):
        """The status the register shows: obsolete, else its latest revision's (annotated by
        ``with_register_columns``)."""
        if self.is_obsolete:
            return Revision.Status.OBSOLETE
        return getattr(self, "latest_status", None)

    def is_overdue_for_review(self, today=None):
        return bool(self.next_review_due and self.next_review_due < (today or timezone.localdate()))

    def is_protected(self):
        """A revision has been signed (approved, effective, superseded or obsolete): the
        signatures are bound to the document's identity, so it changes only through its workflow."""
        return (
            self.is_obsolete or self.revisions.filter(status__in=Revision.SIGNED_STATUSES).exists()
        )


class DocumentUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Document, on_delete=models.CASCADE)


class DocumentGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Document, on_delete=models.CASCADE)


def revision_upload_path(instance, filename):
    return instance.storage_name  # generated by qms_portal.uploads, never the user's name


def lapsed_share_documents(certifier, now=None):
    """Ids of documents an evidence-pack share granted the certifier that has expired but whose
    permissions the beat sweep has not taken back yet (one query).

    Access ends when the share expires, not up to 15 minutes later when the sweep runs; like the
    sweep (audits.packs.workflow._take_back), documents another share in force granted stay.
    """
    from django.apps import apps

    now = now or timezone.now()
    pack_share = apps.get_model("packs", "PackShare")  # audits depends on documents, not back
    lapsed, kept = set(), set()
    for expires_at, document_ids in pack_share.objects.filter(
        certifier=certifier, revoked_at__isnull=True, ended_at__isnull=True
    ).values_list("expires_at", "granted_document_ids"):
        (kept if expires_at > now else lapsed).update(document_ids or ())
    return sorted(lapsed - kept)


def revision_text_vector():
    """The words of a revision's text (PostgreSQL): one expression for the search and for the GIN
    index of migration 0002, which the planner only uses when both are the same."""
    from django.contrib.postgres.search import SearchVector

    return SearchVector("extracted_text", config="simple")


class RevisionQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=Revision.OPEN_STATUSES)

    def awaiting_signature_by(self, person):
        """In review and waiting for the person: a named reviewer who has not signed as reviewed,
        or a named approver who has not approved, in the current round."""
        mine = Signature.objects.filter(
            revision=OuterRef("pk"), signer=person, review_round=OuterRef("review_round")
        )
        to_review = Exists(
            Revision.reviewers.through.objects.filter(revision=OuterRef("pk"), person=person)
        ) & ~Exists(mine.filter(meaning=Signature.Meaning.REVIEWED))
        to_approve = Exists(
            Revision.approvers.through.objects.filter(revision=OuterRef("pk"), person=person)
        ) & ~Exists(mine.filter(meaning=Signature.Meaning.APPROVED))
        return self.filter(status=Revision.Status.IN_REVIEW).filter(to_review | to_approve)

    def returned_to(self, person):
        """The person's drafts that reviewers sent back (a draft after a review round)."""
        return self.filter(author=person, status=Revision.Status.DRAFT, review_round__gt=0)

    def once_in_force(self):
        """Revisions that were effective at some time: the effective one, those it superseded, and
        one withdrawn with its document after it took effect (a withdrawn draft never was)."""
        return self.filter(
            Q(status__in=[Revision.Status.EFFECTIVE, Revision.Status.SUPERSEDED])
            | Q(status=Revision.Status.OBSOLETE, effective_at__isnull=False)
        )

    def readable_by(self, person):
        """Revisions whose content the person may read, on documents they may see: those once in
        force, and working copies for the people who work on them (the rule of
        ``access.can_read_open_revisions``, as a query)."""
        if person.is_superuser:
            return self
        in_force = Q(pk__in=self.model.objects.once_in_force().values("pk"))
        if person.agency_id is None or person.is_certifier:
            return self.filter(in_force)
        if sees_whole_agency(person):
            return self.filter(in_force | Q(document__agency_id=person.agency_id))
        named = Q(
            pk__in=Revision.reviewers.through.objects.filter(person=person).values("revision_id")
        ) | Q(pk__in=Revision.approvers.through.objects.filter(person=person).values("revision_id"))
        return self.filter(
            in_force
            | Q(
                document__agency_id=person.agency_id,
                document__owner_department_id__in=person.department_ids,
            )
            | named
        )


class Revision(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_REVIEW = "in_review", _("In review")
        APPROVED = "approved", _("Approved")
        EFFECTIVE = "effective", _("Effective")
        SUPERSEDED = "superseded", _("Superseded")
        OBSOLETE = "obsolete", _("Obsolete")

    OPEN_STATUSES = (Status.DRAFT, Status.IN_REVIEW, Status.APPROVED)
    SIGNED_STATUSES = (Status.APPROVED, Status.EFFECTIVE, Status.SUPERSEDED, Status.OBSOLETE)

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="revisions")
    label = models.CharField(_("revision"), max_length=10)
    change_summary = models.TextField(_("change summary"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="authored_revisions"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    file = models.FileField(_("file"), upload_to=revision_upload_path, max_length=200)
    storage_name = models.CharField(max_length=200, editable=False)
    original_filename = models.CharField(_("file name"), max_length=150)
    file_kind = models.CharField(_("file type"), max_length=10)
    file_size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    extracted_text = models.TextField(blank=True, editable=False)
    reviewers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="revisions_to_review"
    )
    approvers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="revisions_to_approve"
    )
    review_round = models.PositiveSmallIntegerField(default=0)
    review_comments = models.TextField(_("review comments"), blank=True)
    effective_date = models.DateField(_("effective date"), null=True, blank=True)
    effective_at = models.DateTimeField(_("became effective"), null=True, blank=True)
    superseded_at = models.DateTimeField(_("superseded"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    history = ChainedHistoricalRecords(excluded_fields=["extracted_text"])

    workflow_fields = ("status", "review_round", "effective_date", "effective_at", "superseded_at")

    objects = RevisionQuerySet.as_manager()

    class Meta:
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")
        ordering = ["document", "-created_at"]
        indexes = [
            models.Index(fields=["document", "status"], name="revision_document_status"),
            models.Index(fields=["document", "-created_at"], name="revision_document_latest"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["document", "label"], name="revision_label_unique"),
            # ISO 9001 7.5.3.2: only one version in force at a time.
            models.UniqueConstraint(
                fields=["document"],
                condition=Q(status="effective"),
                name="one_effective_revision_per_document",
            ),
            models.UniqueConstraint(
                fields=["document"],
                condition=Q(status__in=["draft", "in_review", "approved"]),
                name="one_open_revision_per_document",
            ),
        ]

    def __str__(self):
        return f"{self.document.number} rev. {self.label}"

    def get_absolute_url(self):
        return reverse("documents:revision", args=[self.document_id, self.pk])

    def is_protected(self):
        """Signed (approved, effective, superseded, obsolete): kept as it was signed."""
        return self.status in self.SIGNED_STATUSES

    @property
    def is_editable(self):
        return self.status == self.Status.DRAFT

    @property
    def is_effective(self):
        """In force now (read and acknowledge, controlled-copy stamps)."""
        return self.status == self.Status.EFFECTIVE

    @property
    def was_in_force(self):
        """Effective now or once (see ``RevisionQuerySet.once_in_force``); every other revision is
        a working copy that only its editors, auditors and named signers may read."""
        if self.status == self.Status.OBSOLETE:
            return self.effective_at is not None
        return self.status in (self.Status.EFFECTIVE, self.Status.SUPERSEDED)

    def fingerprint(self):
        """A hash of the revision's content and identifying fields; signatures are bound to it."""
        return self._fingerprint_of(self.label, self.change_summary, self.sha256)

    def _fingerprint_of(self, label, change_summary, sha256):
        parts = [
            str(self.pk),
            str(self.document_id),
            self.document.number,
            self.document.title,  # read-only in the admin once signed
            label,
            change_summary,
            sha256,
        ]
        return digest_of(parts)  # the signatures' own hash: SHA-256 of the unit-separated parts

    def past_fingerprints(self):
        """Fingerprints of every version this revision has had, from its hash-chained history (one
        query, kept on the instance): what a signature of a corrected draft was given to."""
        if not hasattr(self, "_past_fingerprints"):
            self._past_fingerprints = {
                self._fingerprint_of(*version)
                for version in self.history.values_list("label", "change_summary", "sha256")
            }
        return self._past_fingerprints


def rendition_upload_path(instance, filename):
    return instance.storage_name  # generated by documents.renditions, like a revision's


class Rendition(models.Model):
    """The PDF copy LibreOffice made of a DOCX, XLSX or ODT revision: what readers download,
    stamped like any PDF (ISO 9001 7.5.3.2), while the original stays with the document's editors.

    It records the SHA-256 of the original it was made from (a corrected draft needs a new one)
    and its own, checked on every download as the original's is.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Being prepared")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    revision = models.OneToOneField(Revision, on_delete=models.PROTECT, related_name="rendition")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    source_sha256 = models.CharField(_("SHA-256 of the original"), max_length=64, blank=True)
    file = models.FileField(_("file"), upload_to=rendition_upload_path, max_length=200, blank=True)
    storage_name = models.CharField(max_length=200, editable=False, blank=True)
    file_size = models.PositiveBigIntegerField(_("size (bytes)"), null=True, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    error = models.TextField(_("conversion error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    converted_at = models.DateTimeField(_("converted"), null=True, blank=True)
    history = ChainedHistoricalRecords()

    class Meta:
        verbose_name = _("PDF rendition")
        verbose_name_plural = _("PDF renditions")

    def __str__(self):
        return f"{self.revision} PDF"

    def is_ready_for(self, revision):
        """Made, and made from the revision's file as it is now (not an earlier draft's)."""
        return self.status == self.Status.READY and self.source_sha256 == revision.sha256


class Signature(SignatureBase):
    """An electronic signature (who, when, meaning), bound to the fingerprint of one revision."""

    class Meaning(models.TextChoices):
        REVIEWED = "reviewed", _("Reviewed")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="signatures")
    meaning = models.CharField(_("meaning"), max_length=20, choices=Meaning.choices)
    comment = models.TextField(_("comment"), blank=True)
    review_round = models.PositiveSmallIntegerField()
    revision_fingerprint = models.CharField(max_length=64)
    history = ChainedHistoricalRecords()

    fingerprint_field = "revision_fingerprint"

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        ordering = ["signed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["revision", "signer", "review_round", "meaning"],
                name="one_signature_per_signer_meaning_round",
            )
        ]

    def __str__(self):
        return f"{self.printed_name} — {self.get_meaning_display()} — {self.revision}"

    def digest_parts(self):
        """The order every stored digest was computed in: the kernel's parts with the comment
        before the time and the review round last."""
        return [
            self.revision_fingerprint,
            self.signer_id,
            self.printed_name,
            self.meaning,
            self.comment,
            self.signed_at.isoformat(),
            self.review_round,
        ]

    def signed_fingerprint(self):
        return self.revision.fingerprint()

    INTACT, EARLIER_DRAFT, BROKEN = "intact", "earlier_draft", "broken"

    def integrity(self):
        """``intact``: matches its own fields and the revision as it stands. ``earlier_draft``:
        given in a round whose draft was rightly corrected since (rejected, or a later round), and
        matches a version in the revision's history. ``broken``: a field, or what it signed, was
        changed behind the portal's back.
        """
        if self.digest != self.compute_digest():
            return self.BROKEN
        revision = self.revision
        if self.revision_fingerprint == self.signed_fingerprint():
            return self.INTACT
        corrected_since = self.review_round < revision.review_round or (
            self.review_round == revision.review_round and revision.status == Revision.Status.DRAFT
        )
        if corrected_since and self.revision_fingerprint in revision.past_fingerprints():
            return self.EARLIER_DRAFT
        return self.BROKEN

    def is_intact(self):
        """True unless the signature or what it signed was tampered with (see ``integrity``)."""
        return self.integrity() != self.BROKEN


class AcknowledgementQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(acknowledged_at__isnull=True)

    def waiting_for(self, person):
        """Effective revisions the person was asked to read and has not acknowledged yet."""
        return self.pending().filter(person=person, revision__status=Revision.Status.EFFECTIVE)


class Acknowledgement(models.Model):
    """A person asked to read an effective revision, and when they confirmed they had."""

    revision = models.ForeignKey(
        Revision, on_delete=models.PROTECT, related_name="acknowledgements"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="acknowledgements"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    assigned_at = models.DateTimeField(default=timezone.now)
    due_date = models.DateField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    history = ChainedHistoricalRecords()

    workflow_fields = ("assigned_at", "opened_at", "acknowledged_at")

    objects = AcknowledgementQuerySet.as_manager()

    class Meta:
        verbose_name = _("read-and-acknowledge")
        verbose_name_plural = _("read-and-acknowledge")
        constraints = [
            models.UniqueConstraint(fields=["revision", "person"], name="acknowledgement_unique")
        ]

    def __str__(self):
        return f"{self.person} — {self.revision}"

    def is_protected(self):
        """Acknowledged: the record that the person read the revision (ISO 9001 7.3)."""
        return self.acknowledged_at is not None


def months_after(start: date, months: int) -> date:
    """The same day ``months`` later (the last day of the month when it has fewer days)."""
    import calendar

    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))
