"""The processes test world: on top of the shared personas, a process owned by ``owner`` in
department A, one in department B, a monthly KPI and a way to make many processes."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from model_bakery import baker

from processes.models import Interaction, Kpi, Process, Risk


def make_process(*, code, owner, department, category=Process.Category.CORE, **extra):
    return baker.make(
        Process,
        agency=department.agency,
        code=code,
        name=extra.pop("name", f"Process {code}"),
        category=category,
        owner=owner,
        department=department,
        **extra,
    )


def make_processes(count, *, owner, department, prefix="P", with_links=True, with_risks=True):
    """``count`` processes spread over the three categories, chained by interactions."""
    categories = list(Process.Category)
    processes = [
        make_process(
            code=f"{prefix}-{n:03d}", owner=owner, department=department, category=categories[n % 3]
        )
        for n in range(count)
    ]
    if with_links:
        Interaction.objects.bulk_create(
            Interaction(source=a, target=b, output=f"Output {a.code}")
            for a, b in zip(processes, processes[1:] + processes[:1], strict=True)
            if a.pk != b.pk
        )
    if with_risks:
        Risk.objects.bulk_create(
            Risk(
                process=p,
                description=f"Risk of {p.code}",
                likelihood=n % 5 + 1,
                impact=(n * 3) % 5 + 1,
                owner=owner,
                review_date=timezone.localdate() + timedelta(days=30),
            )
            for n, p in enumerate(processes)
        )
    return processes


@pytest.fixture
def process(owner, department_a):
    return make_process(
        code="CORE-01", owner=owner, department=department_a, name="Administrative licensing"
    )


@pytest.fixture
def process_b(outsider, department_b):
    return make_process(
        code="SUP-01",
        owner=outsider,
        department=department_b,
        category=Process.Category.SUPPORT,
        name="Finance and procurement",
    )


@pytest.fixture
def kpi(process):
    """Monthly, higher is better: green from 90, amber from 80, red below 80."""
    return Kpi.objects.create(
        process=process,
        name="On-time decisions",
        unit="%",
        target=Decimal("95"),
        direction=Kpi.Direction.HIGHER_IS_BETTER,
        frequency="monthly",
        amber_threshold=Decimal("90"),
        red_threshold=Decimal("80"),
        created_at=timezone.now() - timedelta(days=400),
    )
