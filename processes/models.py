"""Process definitions, KPIs, risks and opportunities (ISO 9001 clauses 4.4, 6.1, 9.1).

Also the ISO 9001:2015 clause catalogue (numbers and titles only), which audits and evidence
packs reuse: ``processes.Clause``.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from qms_portal.organisation.models import Agency, Department
from qms_portal.organisation.roles import is_quality_manager_of
from qms_portal.statemachine import Tone
from qms_portal.visibility import AgencyScopedQuerySet
from qms_portal.voiding import Voidable, in_force_manager

from . import periods
from .periods import Frequency

process_code_validator = RegexValidator(
    r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+){0,3}$",
    _("Use capital letters, digits and hyphens, starting with a letter (for example CORE-03)."),
)


class Clause(models.Model):
    """A clause of ISO 9001:2015 (number and title only; the standard's text is copyrighted).

    Loaded by a data migration; shared by processes, audits and evidence packs.
    """

    number = models.CharField(_("number"), max_length=12, unique=True)
    title = models.CharField(_("title"), max_length=200)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("part of clause"),
    )
    sort_key = models.CharField(max_length=24, editable=False, db_index=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("ISO 9001 clause")
        verbose_name_plural = _("ISO 9001 clauses")
        ordering = ["sort_key"]

    def __str__(self):
        return f"{self.number} {self.title}"

    @property
    def depth(self):
        return self.number.count(".")

    @staticmethod
    def sort_key_for(number):
        """``7.1.5.1`` → ``07.01.05.01``, so clauses sort as people read them."""
        return ".".join(f"{int(part):02d}" for part in number.split("."))


class ProcessQuerySet(AgencyScopedQuerySet):
    """Agency people see their agency's processes; a certifier those of shared departments."""

    def visible_to_certifier(self, person):
        return self.filter(department__in=Department.objects.visible_to(person))

    def with_register_counts(self, *, person, kpi_status="", kpi_from=None, kpi_to=None):
        """Annotate ``kpi_count`` and ``open_risk_count``. With ``kpi_status`` (green, amber, red,
        none), only processes with a KPI in that status in the period, and only those KPIs
        counted: the dashboard's KPI numbers link here, and the column adds up to them."""
        counted_kpis = models.Q(kpis__is_active=True)
        processes = self
        if kpi_status:
            matching = Kpi.objects.visible_to(person).pks_in_status(kpi_status, kpi_from, kpi_to)
            processes = processes.filter(
                pk__in=Kpi.objects.filter(pk__in=matching).values("process_id")
            )
            counted_kpis = models.Q(kpis__in=matching)
        return processes.annotate(
            kpi_count=models.Count("kpis", filter=counted_kpis, distinct=True),
            open_risk_count=models.Count(
                "risks", filter=models.Q(risks__is_closed=False), distinct=True
            ),
        )

    def editable_by(self, person):
        """Processes the person may change: their own; all of the agency for a quality manager."""
        visible = self.visible_to(person)
        if is_quality_manager_of(person, getattr(person, "agency_id", None)):
            return visible  # visible_to already keeps a quality manager to their own agency
        return visible.filter(owner=person)


class Process(models.Model):
    """A process of the quality management system (ISO 9001 4.4), owned by one person."""

    class Category(models.TextChoices):
        MANAGEMENT = "management", _("Management")
        CORE = "core", _("Core")
        SUPPORT = "support", _("Support")

    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="processes", verbose_name=_("agency")
    )
    code = models.CharField(
        _("code"),
        max_length=20,
        validators=[process_code_validator],
        help_text=_("Unique in the agency, for example CORE-03."),
    )
    name = models.CharField(_("name"), max_length=200)
    category = models.CharField(_("category"), max_length=12, choices=Category.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_processes",
        verbose_name=_("process owner"),
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="processes",
        verbose_name=_("department"),
    )
    purpose = models.TextField(_("purpose"), blank=True)
    scope = models.TextField(_("scope"), blank=True, help_text=_("Where it starts and ends."))
    resources = models.TextField(
        _("resources"), blank=True, help_text=_("People, systems, equipment and budget it needs.")
    )
    controls = models.TextField(
        _("methods and controls"),
        blank=True,
        help_text=_("How the process is run and checked: procedures, criteria, approvals."),
    )
    clauses = models.ManyToManyField(
        Clause, blank=True, related_name="processes", verbose_name=_("ISO 9001 clauses addressed")
    )
    documents = models.ManyToManyField(
        "documents.Document",
        blank=True,
        related_name="processes",
        verbose_name=_("controlled documents"),
        help_text=_("The procedures, instructions and forms that describe how the process runs."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    history = HistoricalRecords(m2m_fields=[clauses, documents])

    objects = ProcessQuerySet.as_manager()

    class Meta:
        verbose_name = _("process")
        verbose_name_plural = _("processes")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "code"], name="process_code_unique"),
        ]

    def __str__(self):
        return f"{self.code} · {self.name}"

    def get_absolute_url(self):
        return reverse("processes:detail", args=[self.pk])


class ProcessInput(models.Model):
    """An input of a process and who supplies it (the S and I of SIPOC)."""

    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="inputs")
    name = models.CharField(_("input"), max_length=200)
    supplier = models.CharField(_("supplier"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("process input")
        verbose_name_plural = _("process inputs")
        ordering = ["process", "position", "pk"]

    def __str__(self):
        return self.name


class ProcessOutput(models.Model):
    """An output of a process and who receives it (the O and C of SIPOC)."""

    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="outputs")
    name = models.CharField(_("output"), max_length=200)
    customer = models.CharField(_("customer"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("process output")
        verbose_name_plural = _("process outputs")
        ordering = ["process", "position", "pk"]

    def __str__(self):
        return self.name


class ProcessScopedQuerySet(AgencyScopedQuerySet):
    """Records that belong to a process (KPIs, measurements, risks): seen with their process."""

    process_field = "process"
    agency_field = "process__agency"

    def visible_to_certifier(self, person):
        processes = Process.objects.visible_to_certifier(person)
        return self.filter(**{f"{self.process_field}__in": processes})


class InteractionQuerySet(models.QuerySet):
    def visible_to(self, person):
        visible = Process.objects.visible_to(person)
        return self.filter(source__in=visible, target__in=visible)


class Interaction(models.Model):
    """A directed link: output ``output`` of process ``source`` feeds process ``target``.

    Cycles between processes are normal (A feeds B, B reports back to A); a process never feeds
    itself.
    """

    source = models.ForeignKey(
        Process, on_delete=models.CASCADE, related_name="feeds", verbose_name=_("from process")
    )
    target = models.ForeignKey(
        Process, on_delete=models.CASCADE, related_name="fed_by", verbose_name=_("to process")
    )
    output = models.CharField(
        _("what flows"),
        max_length=200,
        help_text=_("The output of the first process, e.g. a permit."),
    )
    history = HistoricalRecords()

    objects = InteractionQuerySet.as_manager()

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        ordering = ["source__code", "target__code", "output"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(source=models.F("target")), name="interaction_not_self"
            ),
            models.UniqueConstraint(
                fields=["source", "target", "output"], name="interaction_unique"
            ),
        ]

    def __str__(self):
        return f"{self.source.code} → {self.target.code}: {self.output}"


class Status(models.TextChoices):
    """Traffic-light status of a measurement."""

    GREEN = "green", _("On target")
    AMBER = "amber", _("Watch")
    RED = "red", _("Off target")

    @property
    def tone(self):
        """How the traffic light looks in the one status badge."""
        return {"green": Tone.OK, "amber": Tone.WARN, "red": Tone.BAD}[self.value]


class KpiQuerySet(ProcessScopedQuerySet):
    def active(self):
        return self.filter(is_active=True, process__is_active=True)

    def with_latest_value(self, start=None, end=None):
        """Each KPI with ``latest_value``: its latest measurement in [start, end] (either bound
        optional), or None. The dashboard, the review inputs and the register share this."""
        latest = Measurement.objects.filter(kpi=models.OuterRef("pk"))
        if start:
            latest = latest.filter(period__gte=start)
        if end:
            latest = latest.filter(period__lte=end)
        value = latest.order_by("-period").values("value")[:1]
        return self.annotate(latest_value=models.Subquery(value))

    def pks_in_status(self, status, start=None, end=None):
        """Ids of the active KPIs whose latest value in the period is ``status`` (green, amber,
        red, or "none" for no value), decided by :func:`kpi_status` like everywhere else."""
        rows = (
            self.active()
            .with_latest_value(start, end)
            .values_list("pk", "latest_value", "direction", "amber_threshold", "red_threshold")
        )
        return [
            pk
            for pk, value, direction, amber, red in rows
            if (
                "none"
                if value is None
                else kpi_status(
                    value, direction=direction, amber_threshold=amber, red_threshold=red
                ).value
            )
            == status
        ]


class Kpi(models.Model):
    """A key performance indicator of a process (ISO 9001 9.1.1)."""

    class Direction(models.TextChoices):
        HIGHER_IS_BETTER = "higher", _("Higher is better")
        LOWER_IS_BETTER = "lower", _("Lower is better")

    process = models.ForeignKey(
        Process, on_delete=models.CASCADE, related_name="kpis", verbose_name=_("process")
    )
    name = models.CharField(_("indicator"), max_length=200)
    unit = models.CharField(
        _("unit"), max_length=40, blank=True, help_text=_("For example %, days.")
    )
    target = models.DecimalField(_("target"), max_digits=14, decimal_places=4)
    direction = models.CharField(
        _("direction"), max_length=8, choices=Direction.choices, default=Direction.HIGHER_IS_BETTER
    )
    frequency = models.CharField(
        _("frequency"), max_length=10, choices=Frequency.choices, default=Frequency.MONTHLY
    )
    amber_threshold = models.DecimalField(
        _("amber threshold"),
        max_digits=14,
        decimal_places=4,
        help_text=_("Values worse than this are amber."),
    )
    red_threshold = models.DecimalField(
        _("red threshold"),
        max_digits=14,
        decimal_places=4,
        help_text=_("Values worse than this are red."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    history = HistoricalRecords()

    objects = KpiQuerySet.as_manager()

    class Meta:
        verbose_name = _("KPI")
        verbose_name_plural = _("KPIs")
        ordering = ["process__code", "name"]
        constraints = [
            models.UniqueConstraint(fields=["process", "name"], name="kpi_name_unique"),
        ]

    def __str__(self):
        return f"{self.name} ({self.process.code})"

    def get_absolute_url(self):
        return reverse("processes:kpi", args=[self.pk])

    def status_of(self, value):
        return kpi_status(
            value,
            direction=self.direction,
            amber_threshold=self.amber_threshold,
            red_threshold=self.red_threshold,
        )

    def period_label(self, start):
        return periods.label(start, self.frequency)


def kpi_status(value, *, direction, amber_threshold, red_threshold):
    """Green, amber or red for ``value``: the one place the traffic light is decided.

    Higher is better: below the red threshold is red, below the amber threshold amber, else green.
    Lower is better: above the red threshold is red, above the amber threshold amber, else green.
    A value exactly on a threshold is on its better side.
    """
    value = Decimal(value)
    if direction == Kpi.Direction.HIGHER_IS_BETTER:
        if value < red_threshold:
            return Status.RED
        if value < amber_threshold:
            return Status.AMBER
        return Status.GREEN
    if value > red_threshold:
        return Status.RED
    if value > amber_threshold:
        return Status.AMBER
    return Status.GREEN


class MeasurementQuerySet(ProcessScopedQuerySet):
    process_field = "kpi__process"
    agency_field = "kpi__process__agency"


class Measurement(Voidable):
    """The value of a KPI for one period; a correction keeps the old value in history, and a
    value recorded in error is voided (kept, marked, left out of every figure)."""

    kpi = models.ForeignKey(
        Kpi, on_delete=models.CASCADE, related_name="measurements", verbose_name=_("KPI")
    )
    period = models.DateField(_("period"), help_text=_("First day of the period measured."))
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=4)
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)
    history = HistoricalRecords()

    objects = in_force_manager(MeasurementQuerySet)
    all_records = MeasurementQuerySet.as_manager()

    class Meta:
        verbose_name = _("measurement")
        verbose_name_plural = _("measurements")
        ordering = ["kpi", "period"]
        constraints = [
            models.UniqueConstraint(
                fields=["kpi", "period"],
                condition=models.Q(voided_at__isnull=True),
                name="measurement_one_per_period",
            ),
        ]

    def __str__(self):
        return f"{self.kpi.name} {self.period_label}: {self.value}"

    @property
    def period_label(self):
        return periods.label(self.period, self.kpi.frequency)

    @property
    def status(self):
        return self.kpi.status_of(self.value)

    @property
    def status_label(self):
        return self.status.label

    @property
    def status_tone(self):
        return self.status.tone

    def is_protected(self):
        """A recorded figure: corrected or voided in the portal, never edited in the admin."""
        return True


class RiskQuerySet(ProcessScopedQuerySet):
    def with_score(self):
        return self.annotate(score_value=models.F("likelihood") * models.F("impact"))


class Level(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


#: Lowest score of each level, highest first (score = likelihood × impact, 1 to 25).
LEVEL_FLOORS = [(17, Level.CRITICAL), (10, Level.HIGH), (5, Level.MEDIUM), (1, Level.LOW)]


def level_for(score):
    """The level of a likelihood × impact score: 1–4 low, 5–9 medium, 10–16 high, 17–25 critical."""
    return next(level for floor, level in LEVEL_FLOORS if score >= floor)


one_to_five = [MinValueValidator(1), MaxValueValidator(5)]


class Risk(models.Model):
    """A risk or opportunity of a process and how it is treated (ISO 9001 6.1)."""

    class Kind(models.TextChoices):
        RISK = "risk", _("Risk")
        OPPORTUNITY = "opportunity", _("Opportunity")

    process = models.ForeignKey(
        Process, on_delete=models.CASCADE, related_name="risks", verbose_name=_("process")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.RISK)
    description = models.TextField(_("description"))
    likelihood = models.PositiveSmallIntegerField(
        _("likelihood"), validators=one_to_five, help_text=_("1 (rare) to 5 (almost certain).")
    )
    impact = models.PositiveSmallIntegerField(
        _("impact"), validators=one_to_five, help_text=_("1 (negligible) to 5 (severe).")
    )
    treatment = models.TextField(_("treatment"), blank=True)
    # Treatment actions will be tracked as actions of the audits app once it exists.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_risks",
        verbose_name=_("risk owner"),
    )
    review_date = models.DateField(_("next review"))
    is_closed = models.BooleanField(pgettext_lazy("state", "closed"), default=False)
    history = HistoricalRecords()

    workflow_fields = ("is_closed",)

    objects = RiskQuerySet.as_manager()

    class Meta:
        verbose_name = _("risk or opportunity")
        verbose_name_plural = _("risks and opportunities")
        ordering = ["process__code", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(likelihood__gte=1, likelihood__lte=5),
                name="risk_likelihood_1_to_5",
            ),
            models.CheckConstraint(
                condition=models.Q(impact__gte=1, impact__lte=5), name="risk_impact_1_to_5"
            ),
        ]

    def __str__(self):
        return f"{self.process.code}: {self.description[:60]}"

    def get_absolute_url(self):
        return reverse("processes:risk_edit", args=[self.pk])

    @property
    def score(self):
        return self.likelihood * self.impact

    @property
    def level(self):
        return level_for(self.score)

    @property
    def is_due_for_review(self):
        return not self.is_closed and self.review_date <= timezone.localdate()

    def is_protected(self):
        """Closed: the treatment and its outcome are the record of the risk (ISO 9001 6.1)."""
        return self.is_closed


def missing_measurements(kpis, *, today):
    """(kpi, period) for each KPI whose last completed period has no measurement yet.

    Two queries whatever the number of KPIs. A KPI created after a period ended is not asked
    for that period.
    """
    kpis = list(kpis)
    wanted = {kpi.pk: periods.last_completed_period(today, kpi.frequency) for kpi in kpis}
    recorded = set(
        Measurement.objects.filter(kpi_id__in=wanted, period__in=set(wanted.values())).values_list(
            "kpi_id", "period"
        )
    )
    return [
        (kpi, wanted[kpi.pk])
        for kpi in kpis
        if (kpi.pk, wanted[kpi.pk]) not in recorded
        and timezone.localdate(kpi.created_at) <= periods.period_end(wanted[kpi.pk], kpi.frequency)
    ]
