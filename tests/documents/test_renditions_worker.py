"""A real Celery worker, over Redis, makes the PDF rendition of a DOCX upload queued through the
outbox, as in production. Runs once, in the PostgreSQL + Redis pass (``services``)."""

import pytest
from django.urls import reverse

from documents.models import Rendition
from tests.documents.conftest import docx_bytes, draft_document, upload
from tests.documents.test_renditions import DOCX, body_of, pdf_text
from tests.foundation.test_celery_worker import celery_worker_process, wait_for  # noqa: F401

pytestmark = [
    pytest.mark.services,
    pytest.mark.libreoffice,
    pytest.mark.django_db(transaction=True),
]


@pytest.mark.usefixtures("celery_worker_process")
def test_the_worker_renders_a_docx_queued_through_the_outbox(owner, department_a, client):
    document = draft_document(
        owner, department_a, upload=upload("steps.docx", docx_bytes("Counter steps"), DOCX)
    )
    revision = document.revisions.get()

    def made():
        rendition = Rendition.objects.filter(revision=revision).first()
        return rendition is not None and rendition.status != Rendition.Status.PENDING

    assert wait_for(made, timeout=180)
    rendition = Rendition.objects.get(revision=revision)
    assert rendition.is_ready_for(revision), rendition.error
    client.force_login(owner)
    response = client.get(reverse("documents:download", args=[document.pk, revision.pk]))
    assert response.status_code == 200
    assert "Counter steps" in pdf_text(body_of(response))
