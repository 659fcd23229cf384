"""Sharing with certifiers until an expiry date (guardian object permissions), revocation, the
documents that come with a pack, and the download log."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audits.packs import workflow
from audits.packs.models import EvidencePack, PackDownload, PackShare
from documents.models import Document
from tests.audits.packs.conftest import share, zip_bytes

pytestmark = pytest.mark.django_db


def page(client, person, pack, name="packs:pack"):
    client.force_login(person)
    return client.get(reverse(name, args=[pack.pk]), REMOTE_ADDR="203.0.113.7")


def test_a_certifier_sees_only_the_packs_shared_with_them(
    client, pack, quality_manager, certifier, unshared_certifier
):
    share(pack, quality_manager, certifier)
    assert list(EvidencePack.objects.visible_to(certifier)) == [pack]
    assert not EvidencePack.objects.visible_to(unshared_certifier).exists()
    assert certifier.has_perm("packs.view_evidencepack", pack)
    assert page(client, certifier, pack).status_code == 200
    assert page(client, unshared_certifier, pack).status_code == 404
    client.force_login(certifier)
    assert pack.reference in client.get(reverse("packs:pack_list")).content.decode()
    client.force_login(unshared_certifier)
    assert pack.reference not in client.get(reverse("packs:pack_list")).content.decode()


def test_the_certifier_can_open_the_documents_in_the_pack_until_access_ends(
    client, pack, quality_manager, unshared_certifier, records
):
    document = records["document"]
    assert not Document.objects.visible_to(unshared_certifier).filter(pk=document.pk).exists()
    granted = share(pack, quality_manager, unshared_certifier)
    assert granted.granted_document_ids == [document.pk]
    assert Document.objects.visible_to(unshared_certifier).filter(pk=document.pk).exists()
    client.force_login(unshared_certifier)
    assert client.get(document.get_absolute_url()).status_code == 200
    workflow.share_revoke(share=granted, actor=quality_manager)
    assert not Document.objects.visible_to(unshared_certifier).filter(pk=document.pk).exists()
    assert client.get(document.get_absolute_url()).status_code == 404


def test_after_expiry_the_certifier_gets_403_at_once_and_the_sweep_takes_permissions_back(
    client, pack, quality_manager, unshared_certifier, records
):
    granted = share(pack, quality_manager, unshared_certifier, days=3)
    assert page(client, unshared_certifier, pack, "packs:pack_download").status_code == 200
    granted.expires_at = timezone.now() - timedelta(minutes=1)
    granted.save()
    # Checked on every request, before the sweep has run:
    assert page(client, unshared_certifier, pack).status_code == 403
    assert page(client, unshared_certifier, pack, "packs:pack_download").status_code == 403
    assert workflow.expire_shares() == 1
    assert workflow.expire_shares() == 0  # safe to run twice
    unshared_certifier = type(unshared_certifier).objects.get(pk=unshared_certifier.pk)
    assert not unshared_certifier.has_perm("packs.view_evidencepack", pack)
    assert not Document.objects.visible_to(unshared_certifier).exists()
    assert page(client, unshared_certifier, pack).status_code == 403
    assert PackShare.objects.get().history.first().history_change_reason == "expired"


def test_after_revocation_the_certifier_gets_403(client, pack, quality_manager, certifier):
    granted = share(pack, quality_manager, certifier)
    client.force_login(quality_manager)
    response = client.post(reverse("packs:pack_share_revoke", args=[pack.pk, granted.pk]))
    assert response.status_code == 302
    assert page(client, certifier, pack).status_code == 403
    assert page(client, certifier, pack, "packs:pack_download").status_code == 403
    assert not certifier.has_perm("packs.view_evidencepack", pack)


def test_documents_shared_before_the_pack_stay_shared_after_revocation(
    pack, quality_manager, certifier, records
):
    from documents import workflow as document_workflow

    document_workflow.share_with_certifier(
        document=records["document"], certifier=certifier, actor=quality_manager
    )
    granted = share(pack, quality_manager, certifier)
    assert granted.granted_document_ids == []
    workflow.share_revoke(share=granted, actor=quality_manager)
    assert Document.objects.visible_to(certifier).filter(pk=records["document"].pk).exists()


def test_every_download_is_logged_and_listed_for_the_quality_manager(
    client, pack, quality_manager, certifier
):
    share(pack, quality_manager, certifier)
    response = page(client, certifier, pack, "packs:pack_download")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == zip_bytes(pack)
    assert response["Content-Disposition"] == f'attachment; filename="{pack.zip_name}"'
    page(client, quality_manager, pack, "packs:pack_download")
    log = list(PackDownload.objects.order_by("pk").values_list("person", "client_address"))
    assert log == [(certifier.pk, "203.0.113.7"), (quality_manager.pk, "203.0.113.7")]
    listing = page(client, quality_manager, pack).content.decode()
    assert listing.count("203.0.113.7") == 2
    assert certifier.display_name in listing
    # The certifier does not see the log.
    assert "203.0.113.7" not in page(client, certifier, pack).content.decode()


def test_only_quality_managers_share_and_only_with_certifiers(
    pack, quality_manager, owner, certifier
):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        share(pack, owner, certifier)
    with pytest.raises(workflow.PackRuleError, match="certifier accounts"):
        share(pack, quality_manager, owner)
    with pytest.raises(workflow.PackRuleError, match="after today"):
        share(pack, quality_manager, certifier, days=0)


def test_the_share_form_shares_and_notifies_the_certifier(client, pack, quality_manager, certifier):
    client.force_login(quality_manager)
    expires = (timezone.localdate() + timedelta(days=10)).isoformat()
    response = client.post(
        reverse("packs:pack_share", args=[pack.pk]),
        {"certifier": certifier.pk, "expires_on": expires},
    )
    assert response.status_code == 302
    assert PackShare.objects.get().certifier == certifier
    assert certifier.notifications.filter(subject__contains=pack.reference).exists()
