"""Audit coverage: which processes and clauses the audits of a cycle reach (ISO 9001 9.2.2 a).

Processes × months and clauses × audits, each flagging what no audit of the cycle covers. A
fixed number of queries whatever the number of audits.
"""

from dataclasses import dataclass, field
from datetime import date

from processes.models import Clause, Process

from .models import Audit


def main_clauses(clauses):
    """The auditable requirement headings 4.1 … 10.3 (one dot), in reading order."""
    return [c for c in clauses if c.number.count(".") == 1]


def covers(criterion, clause_number):
    """An audit against ``criterion`` covers a clause it contains, is part of, or equals."""
    return (
        criterion == clause_number
        or criterion.startswith(clause_number + ".")
        or clause_number.startswith(criterion + ".")
    )


def months_between(start, end):
    months, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


@dataclass
class ProcessRow:
    process: Process
    cells: list = field(default_factory=list)

    @property
    def covered(self):
        return any(self.cells)


@dataclass
class ClauseRow:
    clause: Clause
    cells: list = field(default_factory=list)

    @property
    def covered(self):
        return any(self.cells)


@dataclass
class Coverage:
    months: list
    audits: list
    process_rows: list
    clause_rows: list

    @property
    def unaudited_processes(self):
        return [row.process for row in self.process_rows if not row.covered]

    @property
    def unaudited_clauses(self):
        return [row.clause for row in self.clause_rows if not row.covered]


def coverage(agency, start, end, *, department=None):
    """Coverage of the active processes and main clauses by the audits planned in [start, end]."""
    audits = list(
        Audit.objects.filter(agency=agency, planned_start__gte=start, planned_start__lte=end)
        .select_related("department")
        .prefetch_related("processes", "clauses")
        .order_by("planned_start", "reference")
    )
    processes = Process.objects.filter(agency=agency, is_active=True).order_by("code")
    if department is not None:
        processes = processes.filter(department=department)
    months = months_between(start, end)
    month_index = {(m.year, m.month): i for i, m in enumerate(months)}
    process_rows = {p.pk: ProcessRow(p, [[] for _ in months]) for p in processes}
    for audit in audits:
        index = month_index.get((audit.planned_start.year, audit.planned_start.month))
        for process in audit.processes.all():
            if process.pk in process_rows and index is not None:
                process_rows[process.pk].cells[index].append(audit)
    clause_rows = []
    for clause in main_clauses(Clause.objects.all()):
        cells = [
            any(covers(c.number, clause.number) for c in audit.clauses.all()) for audit in audits
        ]
        clause_rows.append(ClauseRow(clause, cells))
    return Coverage(months, audits, list(process_rows.values()), clause_rows)


def programme_coverage(programme, *, department=None):
    return coverage(
        programme.agency, programme.cycle_start, programme.cycle_end, department=department
    )
