"""What document control asks of a person, for their home page (a fixed number of queries)."""

from datetime import timedelta

from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from qms_portal.organisation.worklist import WorkItem, register

from .models import Acknowledgement, Document, Revision, Signature

#: At most this many items of one kind on the home page; the register lists the rest.
LIMIT = 25


@register
def document_work(person):
    today = timezone.localdate()
    items = []
    in_review = (
        Revision.objects.filter(status=Revision.Status.IN_REVIEW)
        .filter(
            Q(pk__in=Revision.reviewers.through.objects.filter(person=person).values("revision_id"))
            | Q(
                pk__in=Revision.approvers.through.objects.filter(person=person).values(
                    "revision_id"
                )
            )
        )
        .select_related("document")
        .prefetch_related(
            Prefetch(
                "signatures",
                queryset=Signature.objects.filter(signer=person),
                to_attr="my_signatures",
            ),
            Prefetch("reviewers", to_attr="reviewer_list"),
            Prefetch("approvers", to_attr="approver_list"),
        )
    )
    for revision in in_review:
        mine = {
            s.meaning for s in revision.my_signatures if s.review_round == revision.review_round
        }
        to_review = any(p.pk == person.pk for p in revision.reviewer_list)
        to_approve = any(p.pk == person.pk for p in revision.approver_list)
        if (to_review and Signature.Meaning.REVIEWED not in mine) or (
            to_approve and Signature.Meaning.APPROVED not in mine
        ):
            items.append(
                WorkItem(
                    _("Sign %(revision)s") % {"revision": revision},
                    revision.get_absolute_url(),
                    _("Review"),
                )
            )
    for ack in (
        Acknowledgement.objects.pending()
        .filter(person=person, revision__status=Revision.Status.EFFECTIVE)
        .select_related("revision__document")
    ):
        items.append(
            WorkItem(
                _("Read and acknowledge %(revision)s") % {"revision": ack.revision},
                ack.revision.get_absolute_url(),
                _("Read"),
                ack.due_date,
                bool(ack.due_date and ack.due_date < today),
            )
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
    for revision in Revision.objects.filter(
        author=person, status=Revision.Status.DRAFT, review_round__gt=0
    ).select_related("document"):
        items.append(
            WorkItem(
                _("Correct %(revision)s (returned by reviewers)") % {"revision": revision},
                revision.get_absolute_url(),
                _("Draft"),
            )
        )
    if person.is_quality_manager and person.agency_id:
        for document in Document.objects.filter(agency_id=person.agency_id).due_for_review(
            today - timedelta(days=1)
        ):
            if document.owner_id != person.pk:
                items.append(
                    WorkItem(
                        _("Overdue for review: %(document)s") % {"document": document},
                        document.get_absolute_url(),
                        _("Escalated"),
                        document.next_review_due,
                        True,
                    )
                )
    return items
