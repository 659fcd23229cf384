"""Which records are due for disposal: past their retention period, not under a legal hold in
force, and not covered by an evidence pack that is still open.

An evidence pack is *open* while it is being built (queued or building) or while a share of it
with a certifier is in force (not expired, not withdrawn): the certifier may still read it and ask
for the records behind it. A record is *covered* by an open pack when the pack holds the record's
section, the record's department is in the pack's scope (every department when none was chosen)
and the record's life (from its start to its trigger event) overlaps the pack's period. Citizens'
personal data is never in a pack (the services section is figures only), so packs do not keep it.
"""

from datetime import datetime, time

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from .models import LegalHold, RetentionRule
from .registry import KINDS, past_retention


def open_packs(agency):
    from audits.packs.models import EvidencePack, PackShare

    in_force = PackShare.objects.active().filter(pack=OuterRef("pk"))
    return EvidencePack.objects.filter(agency=agency).filter(
        Q(status__in=[EvidencePack.Status.QUEUED, EvidencePack.Status.BUILDING]) | Exists(in_force)
    )


def _bounds(pack):
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(pack.period_start, time.min, tzinfo=zone),
        datetime.combine(pack.period_end, time.max, tzinfo=zone),
    )


def covered_by_open_packs(kind, agency):
    """A condition on the kind's records: covered by one of the agency's open packs."""
    from audits.packs.content import scope_departments

    covered = Q(pk__in=[])
    if kind.pack_section is None:
        return covered
    for pack in open_packs(agency).prefetch_related("departments"):
        if kind.pack_section not in pack.sections:
            continue
        start, end = _bounds(pack)
        condition = Q(**{f"{kind.start_field}__lte": end}, retention_trigger__gte=start)
        if kind.department_field and pack.departments.exists():
            departments = [d.pk for d in scope_departments(pack)]
            condition &= Q(**{f"{kind.department_field}_id__in": departments})
        covered |= condition
    return covered


def held(kind, agency):
    """A condition on the kind's records: under a legal hold in force (on the record, on the
    whole type, or on the same row as another type: a request and its personal data)."""
    holds = LegalHold.objects.in_force().filter(
        agency=agency, record_type__in=[kind.code, *kind.same_rows]
    )
    if holds.filter(object_id__isnull=True).exists():
        return ~Q(pk__in=[])
    return Q(pk__in=holds.values("object_id"))


def rule_for(agency, code):
    return RetentionRule.objects.filter(agency=agency, record_type=code).first()


def due_records(agency, code, *, today=None):
    """The kind's records past retention and free to dispose of (a queryset), and the rule; no
    rule, nothing is due."""
    kind = KINDS[code]
    rule = rule_for(agency, code)
    if rule is None:
        return kind.records(agency).none(), None
    today = today or timezone.localdate()
    past = past_retention(kind, kind.records(agency), rule, today)
    return past.exclude(held(kind, agency)).exclude(covered_by_open_packs(kind, agency)), rule


def kept_back(agency, code, *, today=None):
    """Past retention but protected now: (held ids, ids in an open pack)."""
    kind = KINDS[code]
    rule = rule_for(agency, code)
    if rule is None:
        return set(), set()
    past = past_retention(kind, kind.records(agency), rule, today or timezone.localdate())
    return (
        set(past.filter(held(kind, agency)).values_list("pk", flat=True)),
        set(past.filter(covered_by_open_packs(kind, agency)).values_list("pk", flat=True)),
    )
