"""What document control asks of a person, for their home page (a fixed number of queries)."""

from datetime import timedelta
from urllib.parse import urlencode

from django.db.models import Count, Window
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from qms_portal.organisation.worklist import WorkItem, register

from .models import Acknowledgement, Document, Revision

#: At most this many items of one kind on the home page; the register lists the rest.
LIMIT = 25


def _first_and_total(queryset):
    """The first ``LIMIT`` rows and how many there are in all, in one query (a window count)."""
    rows = list(queryset.annotate(total_rows=Window(Count("pk")))[:LIMIT])
    return rows, rows[0].total_rows if rows else 0


def _see_all(rows, total, text, kind, **register_filter):
    """When a list is cut at ``LIMIT``, one more item: the total, linking to the register."""
    if total <= len(rows):
        return []
    url = reverse("documents:register") + "?" + urlencode(register_filter)
    return [WorkItem(text % {"count": total}, url, kind)]


@register
def document_work(person):
    """Revisions to sign, to read, drafts returned, periodic reviews and (for quality managers)
    overdue reviews elsewhere: each list capped, with its total linking to the register."""
    today = timezone.localdate()
    items = []
    to_sign, total = _first_and_total(
        Revision.objects.awaiting_signature_by(person)
        .select_related("document")
        .order_by("document__number", "pk")
    )
    for revision in to_sign:
        items.append(
            WorkItem(
                _("Sign %(revision)s") % {"revision": revision},
                revision.get_absolute_url(),
                _("Review"),
            )
        )
    items += _see_all(
        to_sign,
        total,
        ngettext(
            "All %(count)d revision waiting for your signature",
            "All %(count)d revisions waiting for your signature",
            total,
        ),
        _("Review"),
        waiting="sign",
    )
    to_read, total = _first_and_total(
        Acknowledgement.objects.waiting_for(person)
        .select_related("revision__document")
        .order_by("due_date", "pk")
    )
    for ack in to_read:
        items.append(
            WorkItem(
                _("Read and acknowledge %(revision)s") % {"revision": ack.revision},
                ack.revision.get_absolute_url(),
                _("Read"),
                ack.due_date,
                bool(ack.due_date and ack.due_date < today),
            )
        )
    items += _see_all(
        to_read,
        total,
        ngettext(
            "All %(count)d document waiting for your acknowledgement",
            "All %(count)d documents waiting for your acknowledgement",
            total,
        ),
        _("Read"),
        waiting="read",
    )
    for document in Document.objects.filter(
        owner=person, is_obsolete=False, next_review_due__lte=today + timedelta(days=30)
    ).order_by("next_review_due")[:LIMIT]:
        items.append(
            WorkItem(
                _("Periodic review of %(document)s") % {"document": document},
                document.get_absolute_url(),
                _("Review due"),
                document.next_review_due,
                document.is_overdue_for_review(today),
            )
        )
    returned, total = _first_and_total(
        Revision.objects.returned_to(person)
        .select_related("document")
        .order_by("document__number", "pk")
    )
    for revision in returned:
        items.append(
            WorkItem(
                _("Correct %(revision)s (returned by reviewers)") % {"revision": revision},
                revision.get_absolute_url(),
                _("Draft"),
            )
        )
    items += _see_all(
        returned,
        total,
        ngettext(
            "All %(count)d draft returned to you by reviewers",
            "All %(count)d drafts returned to you by reviewers",
            total,
        ),
        _("Draft"),
        waiting="correct",
    )
    if person.is_quality_manager and person.agency_id:
        items += _escalations(person, today)
    return items


def _escalations(person, today):
    """Other owners' documents overdue for review; the total is the agency's, as the register's
    "overdue for review" filter and the dashboard tile count them (two queries)."""
    overdue = Document.objects.filter(agency_id=person.agency_id).overdue_for_review(today)
    items = [
        WorkItem(
            _("Overdue for review: %(document)s") % {"document": document},
            document.get_absolute_url(),
            _("Escalated"),
            document.next_review_due,
            True,
        )
        for document in overdue.exclude(owner=person).order_by("next_review_due", "number")[:LIMIT]
    ]
    total = overdue.count()
    if len(items) == LIMIT and total > LIMIT:
        items.append(
            WorkItem(
                ngettext(
                    "All %(count)d document overdue for review",
                    "All %(count)d documents overdue for review",
                    total,
                )
                % {"count": total},
                reverse("documents:register") + "?due=on",
                _("Escalated"),
            )
        )
    return items
