"""The demo agency has an evidence pack, built and shared with the demo certifier."""

import io
import zipfile

import pytest
from django.core.management import call_command
from django.test import Client

from audits.packs.models import EvidencePack, PackDownload
from audits.packs.verify import verify_zip
from qms_portal.organisation.management.commands.seed_demo import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def test_the_demo_certifier_can_download_a_verified_pack(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=io.StringIO())
    pack = EvidencePack.objects.get()
    assert pack.status == "ready", pack.error
    client = Client()
    assert client.login(username="certifier.smith", password=DEMO_PASSWORD)
    listing = client.get("/audits/packs/").content.decode()
    assert pack.reference in listing
    response = client.get(f"/audits/packs/{pack.pk}/download/")
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    assert verify_zip(io.BytesIO(content)).ok
    names = zipfile.ZipFile(io.BytesIO(content)).namelist()
    assert any(name.startswith("documents/") for name in names)
    assert PackDownload.objects.get().person.username == "certifier.smith"
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=io.StringIO())
    assert EvidencePack.objects.count() == 1
