"""The pack page offers exactly the steps the workflow accepts from this person now.

For every persona and every state of a pack (queued, building, ready, failed, shared with the
certifier, share expired), the actions on the page (``data-step``) are
``workflow.available_steps(pack, person)`` and the table below; every step not offered is refused
(4xx) without changing anything.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audits.packs import workflow
from audits.packs.models import EvidencePack, PackBuildLease, PackDownload, PackShare
from tests.audits.packs.conftest import define, share
from tests.page_steps import fixtures_by_name, shown_steps

pytestmark = pytest.mark.django_db

PERSONAS = ["owner", "colleague", "outsider", "quality_manager", "auditor", "certifier"]
STATES = ["queued", "building", "ready", "failed", "shared", "expired"]
ALL_STEPS = {"retry", "rebuild", "restart", "share", "download", "revoke"}
HIDDEN = None  # 404: the person may not know the pack exists
GONE = "gone"  # 403: the certifier's share expired
BUILT = {"rebuild", "share", "download"}
#: One form takes whichever of these the state calls for (they share the build URL).
BUILD_STEPS = {"retry", "rebuild", "restart"}

#: state → the quality manager's steps; the certifier sees the pack only while shared with them.
MANAGER = {
    "queued": set(),
    "building": set(),
    "ready": BUILT,
    "failed": {"retry"},
    "shared": BUILT | {"revoke"},
    "expired": BUILT,
}


def expected(state, persona):
    if persona == "quality_manager":
        return MANAGER[state]
    if persona == "certifier":
        return {"shared": {"download"}, "expired": GONE}.get(state, HIDDEN)
    return HIDDEN


def build(state, w, capture):
    if state == "queued":
        return define(w.quality_manager, departments=[w.department_a])
    if state in ("building", "failed"):
        pack = define(w.quality_manager, departments=[w.department_a])
        assert workflow.claim_build(pack.pk, pack.build_number)
        if state == "failed":
            workflow.build_failed(
                pack_id=pack.pk, build_number=pack.build_number, error="Disk full", actor=None
            )
        pack.refresh_from_db()
        return pack
    with capture(execute=True):
        pack = define(w.quality_manager, departments=[w.department_a])
    pack.refresh_from_db()
    assert pack.status == EvidencePack.Status.READY, pack.error
    if state in ("shared", "expired"):
        given = share(pack, w.quality_manager, w.certifier)
        if state == "expired":
            PackShare.objects.filter(pk=given.pk).update(
                expires_at=timezone.now() - timedelta(minutes=1)
            )
    return pack


@pytest.fixture
def world(request):
    return fixtures_by_name(request, [*PERSONAS, "department_a", "records"])


def snapshot(pack):
    pack = EvidencePack.objects.get(pk=pack.pk)
    return (
        pack.status,
        pack.build_number,
        sorted(pack.shares.values_list("pk", "revoked_at", "ended_at")),
        PackDownload.objects.filter(pack=pack).count(),
    )


def take_step(client, step, pack, w):
    if step == "download":
        return client.get(reverse("packs:pack_download", args=[pack.pk]))
    if step == "share":
        expires = (timezone.localdate() + timedelta(days=5)).isoformat()
        return client.post(
            reverse("packs:pack_share", args=[pack.pk]),
            {"certifier": w.certifier.pk, "expires_on": expires},
        )
    if step == "revoke":
        shared = pack.shares.first()
        if shared is None:
            return None  # nothing to withdraw on this pack
        return client.post(reverse("packs:pack_share_revoke", args=[pack.pk, shared.pk]))
    return client.post(reverse("packs:pack_build", args=[pack.pk]))


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("persona", PERSONAS)
def test_the_page_offers_exactly_the_steps_the_workflow_accepts(
    state, persona, world, client, django_capture_on_commit_callbacks
):
    w = world
    pack = build(state, w, django_capture_on_commit_callbacks)
    person = getattr(w, persona)
    client.force_login(person)
    wanted = expected(state, persona)

    response = client.get(pack.get_absolute_url())
    if wanted is HIDDEN:
        assert response.status_code == 404
    elif wanted is GONE:
        assert response.status_code == 403
    else:
        assert response.status_code == 200
        shown = shown_steps(response.content.decode())
        assert shown == set(workflow.available_steps(pack, person))
        assert shown == wanted, f"{persona} on a {state} pack"

    offered = wanted if isinstance(wanted, set) else set()
    not_offered = ALL_STEPS - offered - (BUILD_STEPS if offered & BUILD_STEPS else set())
    for step in sorted(not_offered):
        before = snapshot(pack)
        response = take_step(client, step, pack, w)
        if response is None:
            continue
        assert 400 <= response.status_code < 500, (step, response.status_code)
        assert snapshot(pack) == before, f"{persona} changed a {state} pack by {step}"


def test_a_stalled_build_offers_a_restart(world, client):
    pack = build("building", world, None)
    PackBuildLease.objects.filter(pack=pack).update(  # its worker stopped renewing the lease
        heartbeat_at=timezone.now() - timedelta(hours=2)
    )
    pack.refresh_from_db()
    client.force_login(world.quality_manager)
    shown = shown_steps(client.get(pack.get_absolute_url()).content.decode())
    assert shown == {"restart"} == set(workflow.available_steps(pack, world.quality_manager))
    response = client.post(reverse("packs:pack_build", args=[pack.pk]))
    assert response.status_code == 302
    pack.refresh_from_db()
    assert pack.status == EvidencePack.Status.QUEUED and pack.build_number == 2
