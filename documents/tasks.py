"""Celery tasks of document control: small, idempotent, taking ids."""

from celery import shared_task

from qms_portal import uploads
from qms_portal.organisation.history import acting_as
from qms_portal.organisation.models import Person

from . import reminders, renditions, workflow
from .models import Revision


@shared_task
def extract_revision_text(revision_id):
    """Extract a revision's text for search (runs after the upload commits)."""
    revision = Revision.objects.filter(pk=revision_id).first()
    if revision is None or revision.extracted_text:
        return False
    text = uploads.extract_text(revision.file, revision.file_kind)
    # history-exempt: a search index column, excluded from the revision's history
    Revision.objects.filter(pk=revision_id).update(extracted_text=text)
    return bool(text)


@shared_task
def render_revision_pdf(revision_id):
    """Make the PDF rendition of a DOCX, XLSX or ODT revision (after the upload commits); a
    failure is recorded on the rendition, and a second run of a made one does nothing."""
    return renditions.render(revision_id)


@shared_task
def make_due_revisions_effective(acting_user_id=None):
    person = Person.objects.filter(pk=acting_user_id).first()
    with acting_as(person):
        return workflow.make_due_revisions_effective(actor=person)


@shared_task
def send_review_reminders():
    return reminders.send_review_reminders()


@shared_task
def send_acknowledgement_reminders():
    return reminders.send_acknowledgement_reminders()
