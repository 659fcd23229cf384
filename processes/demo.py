"""Demo process model of a city government services bureau, for ``seed_demo``. Idempotent.

Fifteen processes in three categories, their interactions, KPIs with two years of monthly values
(green, amber and red months) and risks. Records are created through the workflow functions, in
the quality manager's name, so their history looks like real use.
"""

import math
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from documents.models import Document
from qms_portal.organisation.models import Department

from . import periods, workflow
from .models import Clause, Interaction, Kpi, Measurement, Process, Risk

M, C, S = Process.Category.MANAGEMENT, Process.Category.CORE, Process.Category.SUPPORT

# code, category, name, owner, department, clauses, purpose, inputs, outputs
PROCESSES = [
    (
        "MGT-01",
        M,
        "战略规划与质量目标 Strategic planning and quality objectives",
        "staff.sun",
        "GO",
        ["5.1", "5.2", "6.2"],
        "Set the bureau's annual quality objectives and service commitments.",
        [("Municipal work plan", "City government"), ("Citizen feedback summary", "CORE-05")],
        [("Annual quality objectives", "All departments")],
    ),
    (
        "MGT-02",
        M,
        "管理评审 Management review",
        "qm.li",
        "QA",
        ["9.3"],
        "Review twice a year whether the QMS works and decide improvements.",
        [("KPI results", "All processes"), ("Audit results", "MGT-03")],
        [("Review minutes and decisions", "Bureau leadership")],
    ),
    (
        "MGT-03",
        M,
        "内部审核 Internal audit",
        "qm.li",
        "QA",
        ["9.2"],
        "Audit every process at least once a year against ISO 9001 and our own rules.",
        [("Audit programme", "MGT-02")],
        [("Audit reports and findings", "Process owners")],
    ),
    (
        "MGT-04",
        M,
        "风险与改进管理 Risk and improvement management",
        "qm.li",
        "QA",
        ["6.1", "10.2", "10.3"],
        "Keep risks under review and follow corrective actions to closure.",
        [("Nonconformities", "All processes")],
        [("Corrective actions", "Process owners")],
    ),
    (
        "CORE-01",
        C,
        "行政许可审批 Administrative licensing",
        "staff.huang",
        "AAS",
        ["8.1", "8.2", "8.5.1", "8.6"],
        "Decide permit applications lawfully and within the promised time.",
        [("Complete application file", "CORE-02")],
        [("Permit decision", "Applicant")],
    ),
    (
        "CORE-02",
        C,
        "窗口受理 Counter reception (one-window service)",
        "staff.zhou",
        "PERMIT",
        ["8.2.1", "8.2.2", "8.5.1"],
        "Receive applications at the counter and online, check completeness.",
        [("Application", "Citizen or company")],
        [("Complete application file", "CORE-01"), ("Receipt with deadline", "Applicant")],
    ),
    (
        "CORE-03",
        C,
        "12345 热线受理 Citizen hotline handling",
        "staff.xu",
        "HOT",
        ["8.2.1", "9.1.2"],
        "Answer 12345 calls, route requests, follow up until closed.",
        [("Call or web message", "Citizen")],
        [("Work order", "Responsible department")],
    ),
    (
        "CORE-04",
        C,
        "城市管理巡查 Urban management inspection",
        "staff.wu",
        "URB",
        ["8.5.1"],
        "Inspect streets and public spaces and have problems fixed.",
        [("Work order", "CORE-03"), ("Inspection plan", "MGT-01")],
        [("Resolved case", "Citizen")],
    ),
    (
        "CORE-05",
        C,
        "投诉处理 Complaint handling",
        "staff.xu",
        "HOT",
        ["9.1.2", "10.2"],
        "Investigate complaints about our services and answer within 15 working days.",
        [("Complaint", "Citizen")],
        [("Reply to complainant", "Citizen"), ("Citizen feedback summary", "MGT-01")],
    ),
    (
        "CORE-06",
        C,
        "政务公开 Public information disclosure",
        "staff.sun",
        "GO",
        ["7.4"],
        "Publish the bureau's information and answer disclosure requests.",
        [("Disclosure request", "Citizen")],
        [("Published information", "Public")],
    ),
    (
        "SUP-01",
        S,
        "人力资源与培训 Human resources and training",
        "staff.ma",
        "HR",
        ["7.1.2", "7.2", "7.3"],
        "Recruit, train and assess staff so each role is competent.",
        [("Training needs", "All departments")],
        [("Competent staff", "All processes")],
    ),
    (
        "SUP-02",
        S,
        "财务与采购 Finance and procurement",
        "staff.wang",
        "FIN",
        ["7.1.1", "8.4"],
        "Plan the budget and buy goods and services lawfully.",
        [("Purchase request", "All departments")],
        [("Contract and payment", "Supplier")],
    ),
    (
        "SUP-03",
        S,
        "文件与记录控制 Document and records control",
        "staff.he",
        "ARCH",
        ["7.5"],
        "Keep procedures current and records retrievable for their retention period.",
        [("Draft procedure", "Process owners")],
        [("Controlled document", "All processes")],
    ),
    (
        "SUP-04",
        S,
        "信息系统与基础设施 IT systems and infrastructure",
        "staff.sun",
        "GO",
        ["7.1.3", "7.1.4"],
        "Keep the approval system, hotline platform and offices available.",
        [("Service request", "All departments")],
        [("Available systems", "All processes")],
    ),
    (
        "SUP-05",
        S,
        "外部供方管理 External provider management",
        "staff.wang",
        "FIN",
        ["8.4"],
        "Select, evaluate and monitor outsourced services (cleaning, call-centre staff, IT).",
        [("Supplier performance data", "Process owners")],
        [("Approved supplier list", "SUP-02")],
    ),
]

# source, target, what flows
INTERACTIONS = [
    ("CORE-02", "CORE-01", "Complete application file"),
    ("CORE-01", "CORE-02", "Permit decision for hand-over"),
    ("CORE-03", "CORE-04", "Work order"),
    ("CORE-04", "CORE-03", "Case result for call-back"),
    ("CORE-03", "CORE-05", "Complaint received by phone"),
    ("CORE-05", "MGT-01", "Citizen feedback summary"),
    ("MGT-01", "CORE-04", "Inspection plan"),
    ("MGT-03", "MGT-02", "Audit results"),
    ("MGT-02", "MGT-03", "Audit programme"),
    ("MGT-02", "MGT-04", "Improvement decisions"),
    ("MGT-04", "CORE-01", "Corrective actions"),
    ("CORE-01", "MGT-02", "Licensing KPI results"),
    ("CORE-03", "MGT-02", "Hotline KPI results"),
    ("SUP-01", "CORE-02", "Trained counter staff"),
    ("SUP-01", "CORE-03", "Trained hotline agents"),
    ("SUP-02", "SUP-04", "IT budget and contracts"),
    ("SUP-05", "SUP-02", "Approved supplier list"),
    ("SUP-03", "CORE-01", "Current licensing procedures"),
    ("SUP-04", "CORE-03", "Hotline platform"),
    ("SUP-04", "CORE-01", "Online approval system"),
    ("CORE-06", "CORE-05", "Disclosure complaints"),
]

# process, name, unit, target, direction, amber, red, frequency, months missing at the end
KPIS = [
    ("CORE-01", "On-time decisions", "%", 98, "higher", 95, 90, "monthly", 0),
    ("CORE-01", "Average decision time", "days", 8, "lower", 10, 12, "monthly", 0),
    ("CORE-02", "Applications complete at first visit", "%", 90, "higher", 85, 80, "monthly", 0),
    ("CORE-03", "Calls answered within 20 seconds", "%", 90, "higher", 85, 75, "monthly", 0),
    ("CORE-03", "Work orders closed on time", "%", 95, "higher", 90, 85, "monthly", 1),
    ("CORE-04", "Cases resolved within 3 days", "%", 92, "higher", 88, 80, "monthly", 0),
    ("CORE-05", "Citizen satisfaction", "%", 95, "higher", 90, 85, "monthly", 0),
    ("SUP-01", "Training hours per employee", "h", 4, "higher", 3, 2, "monthly", 0),
    ("SUP-04", "System downtime", "h", 2, "lower", 4, 8, "monthly", 0),
    ("MGT-03", "Audit programme completed", "%", 100, "higher", 90, 75, "quarterly", 0),
]

# process, kind, description, likelihood, impact, treatment, owner, review in days
RISKS = [
    (
        "CORE-01",
        "risk",
        "Peak of applications after a policy change delays decisions past the legal deadline.",
        3,
        4,
        "Cross-train two counter officers; weekly backlog review.",
        "staff.huang",
        30,
    ),
    (
        "CORE-01",
        "risk",
        "Approval system outage stops all licensing work.",
        2,
        5,
        "Paper fallback procedure; supplier SLA with 4-hour restore.",
        "staff.sun",
        60,
    ),
    (
        "CORE-02",
        "risk",
        "Incomplete files accepted at the counter lead to refusals later.",
        4,
        3,
        "Checklist per permit type in the counter system.",
        "staff.zhou",
        20,
    ),
    (
        "CORE-03",
        "risk",
        "Call volume during typhoons exceeds agent capacity.",
        4,
        4,
        "Surge roster with trained staff from other departments.",
        "staff.xu",
        45,
    ),
    (
        "CORE-03",
        "opportunity",
        "Online chat could answer simple questions without an agent.",
        3,
        3,
        "Pilot a chat channel for the five most common questions.",
        "staff.xu",
        90,
    ),
    (
        "CORE-05",
        "risk",
        "Complaints answered late damage public trust.",
        2,
        4,
        "Deadline tracking in the hotline platform with reminders.",
        "staff.xu",
        30,
    ),
    (
        "SUP-01",
        "risk",
        "Experienced approval officers retire without handing over knowledge.",
        3,
        3,
        "Knowledge handbook and mentoring for new officers.",
        "staff.ma",
        120,
    ),
    (
        "SUP-03",
        "risk",
        "Obsolete procedures used at the counter.",
        2,
        3,
        "Withdraw paper copies when a revision becomes effective.",
        "staff.he",
        60,
    ),
    (
        "SUP-05",
        "risk",
        "Outsourced call-centre staff turnover lowers service quality.",
        3,
        2,
        "Quarterly supplier evaluation with service KPIs in the contract.",
        "staff.wang",
        90,
    ),
    (
        "MGT-01",
        "opportunity",
        "Joint one-window service with the tax bureau cuts citizen visits.",
        2,
        4,
        "Feasibility study with the tax bureau.",
        "staff.sun",
        180,
    ),
    (
        "SUP-04",
        "risk",
        "Ransomware encrypts the document server.",
        1,
        5,
        "Offline backups tested monthly; staff phishing training.",
        "staff.sun",
        90,
    ),
]


def seed(*, agency, people, stdout):
    """Create the demo processes, interactions, KPIs, measurements and risks (safe to rerun)."""
    quality_manager = people["qm.li"]
    departments = {d.code: d for d in Department.objects.filter(agency=agency)}
    processes = _processes(agency, people, departments, quality_manager)
    _interactions(processes, quality_manager)
    kpis = _kpis(processes, quality_manager)
    _voided_measurement(kpis)
    created = _measurements(kpis, quality_manager)
    _risks(processes, people, quality_manager)
    stdout.write(
        f"Processes: {len(processes)} processes, {len(kpis)} KPIs, {created} new measurements."
    )


def _processes(agency, people, departments, actor):
    existing = {p.code: p for p in Process.objects.filter(agency=agency)}
    clauses = {c.number: c for c in Clause.objects.all()}
    for code, category, name, owner, department, numbers, purpose, inputs, outputs in PROCESSES:
        if code in existing:
            continue
        existing[code] = workflow.process_create(
            actor=actor,
            fields={
                "code": code,
                "name": name,
                "category": category,
                "owner": people[owner],
                "department": departments[department],
                "purpose": purpose,
                "resources": "Trained staff; case management system; office space.",
                "controls": "Written procedure; supervisor sign-off; monthly KPI review.",
            },
            clauses=[clauses[n] for n in numbers],
            documents=Document.objects.filter(
                agency=agency, owner_department=departments[department], is_obsolete=False
            ),
            inputs=inputs,
            outputs=outputs,
        )
    return existing


def _interactions(processes, actor):
    present = set(
        Interaction.objects.filter(source__in=processes.values()).values_list(
            "source__code", "target__code", "output"
        )
    )
    for source, target, output in INTERACTIONS:
        if (source, target, output) not in present:
            workflow.interaction_add(
                source=processes[source], target=processes[target], output=output, actor=actor
            )


def _kpis(processes, actor):
    kpis = []
    for code, name, unit, target, direction, amber, red, frequency, missing in KPIS:
        kpi = Kpi.objects.filter(process=processes[code], name=name).first()
        if kpi is None:
            kpi = workflow.kpi_create(
                process=processes[code],
                actor=actor,
                fields={
                    "name": name,
                    "unit": unit,
                    "target": Decimal(target),
                    "direction": direction,
                    "frequency": frequency,
                    "amber_threshold": Decimal(amber),
                    "red_threshold": Decimal(red),
                },
            )
            # The demo KPIs have been measured for two years.
            Kpi.objects.filter(pk=kpi.pk).update(created_at=timezone.now() - timedelta(days=800))
        kpis.append((kpi, missing))
    return kpis


def _demo_value(kpi, period, seed_offset):
    """A plausible value that drifts through green, amber and red over the months."""
    month_index = period.year * 12 + period.month
    wave = math.sin(month_index * 0.9 + seed_offset) * 0.6 + math.sin(month_index * 0.37) * 0.4
    good, bad = float(kpi.target), float(kpi.red_threshold)
    span = good - bad
    value = bad + span * (0.5 + 0.75 * wave)  # from beyond red to beyond target
    return Decimal(str(round(value, 1)))


def _measurements(kpis, actor):
    today = timezone.localdate()
    new = []
    for offset, (kpi, missing) in enumerate(kpis):
        count = 24 if kpi.frequency == periods.Frequency.MONTHLY else 8
        wanted = periods.recent_periods(today, kpi.frequency, count + missing)[missing:]
        have = set(kpi.measurements.values_list("period", flat=True))
        new += [
            Measurement(
                kpi=kpi,
                period=period,
                value=_demo_value(kpi, period, offset),
                recorded_by=kpi.process.owner,
            )
            for period in wanted
            if period not in have
        ]
    if new:
        bulk_create_with_history(
            new, Measurement, default_user=actor, default_change_reason="Demo data"
        )
    return len(new)


#: Why the demo's one void value is void (issue 14: a record made in error is voided, not deleted).
VOID_REASON = "Entered twice: the figure of another KPI was keyed here"


def _voided_measurement(kpis):
    """One value keyed in error and voided by the process owner: the KPI page shows it as VOID,
    and no figure counts it (its period then gets its right value from ``_measurements``)."""
    kpi = next(kpi for kpi, missing in kpis if not missing)
    if Measurement.all_records.filter(kpi=kpi, voided_at__isnull=False).exists():
        return
    period = periods.last_completed_period(timezone.localdate(), kpi.frequency)
    if kpi.measurements.filter(period=period).exists():
        return  # seeded before voiding existed: leave the figures as they are
    higher = kpi.direction == Kpi.Direction.HIGHER_IS_BETTER
    wrong = kpi.red_threshold / 2 if higher else kpi.red_threshold * 2  # red if it counted
    owner = kpi.process.owner
    keyed = workflow.measurement_record(kpi=kpi, period=period, value=wrong, actor=owner)
    workflow.measurement_void(measurement=keyed, reason=VOID_REASON, actor=owner)


def _risks(processes, people, actor):
    today = timezone.localdate()
    present = set(
        Risk.objects.filter(process__in=processes.values()).values_list(
            "process__code", "description"
        )
    )
    for code, kind, description, likelihood, impact, treatment, owner, days in RISKS:
        if (code, description) in present:
            continue
        workflow.risk_create(
            process=processes[code],
            actor=actor,
            fields={
                "kind": kind,
                "description": description,
                "likelihood": likelihood,
                "impact": impact,
                "treatment": treatment,
                "owner": people[owner],
                "review_date": today + timedelta(days=days),
            },
        )
