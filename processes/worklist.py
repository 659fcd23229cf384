"""The process owner's measurements due, on the home page."""

from django.utils import timezone
from django.utils.translation import gettext as _

from qms_portal.organisation.worklist import WorkItem, register

from . import periods
from .models import Kpi, missing_measurements


@register
def measurements_due(person):
    """KPIs of the person's processes whose last period has no value yet (two queries)."""
    if not person.is_authenticated:
        return []
    today = timezone.localdate()
    kpis = Kpi.objects.active().filter(process__owner=person).select_related("process")
    items = []
    for kpi, period in missing_measurements(kpis, today=today):
        due = periods.due_date(period, kpi.frequency)
        items.append(
            WorkItem(
                title=_("Record %(kpi)s for %(period)s (%(process)s)")
                % {
                    "kpi": kpi.name,
                    "period": kpi.period_label(period),
                    "process": kpi.process.code,
                },
                url=kpi.get_absolute_url(),
                kind=_("Measurement"),
                due=due,
                overdue=due < today,
            )
        )
    return items
