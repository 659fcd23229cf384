"""Owners and quality managers edit; everyone else who can see gets 403; nothing changes."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from processes import workflow
from processes.models import Process

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "persona, expected",
    [
        ("owner", 200),
        ("quality_manager", 200),
        ("colleague", 403),
        ("outsider", 403),
        ("auditor", 403),
        ("certifier", 403),
        ("stranger", 404),
    ],
)
def test_edit_pages(client, request, process, kpi, persona, expected):
    client.force_login(request.getfixturevalue(persona))
    for url in [
        reverse("processes:edit", args=[process.pk]),
        reverse("processes:kpi_create", args=[process.pk]),
        reverse("processes:kpi_edit", args=[kpi.pk]),
        reverse("processes:measurement_create", args=[kpi.pk]),
        reverse("processes:risk_create", args=[process.pk]),
        reverse("processes:interaction_add", args=[process.pk]),
    ]:
        assert client.get(url).status_code == expected, url


def test_a_colleague_cannot_change_the_process_by_posting(client, colleague, process):
    client.force_login(colleague)
    response = client.post(
        reverse("processes:edit", args=[process.pk]), {"code": "HACK-01", "name": "Changed"}
    )
    assert response.status_code == 403
    process.refresh_from_db()
    assert process.code == "CORE-01"


def test_the_workflow_refuses_too_not_only_the_page(colleague, process):
    with pytest.raises(PermissionDenied, match="Only the owner of CORE-01"):
        workflow.process_update(process=process, actor=colleague, fields={"name": "Changed"})


def test_only_quality_managers_define_new_processes(client, owner, quality_manager):
    client.force_login(owner)
    assert client.get(reverse("processes:create")).status_code == 403
    client.force_login(quality_manager)
    assert client.get(reverse("processes:create")).status_code == 200


def test_the_process_page_offers_edit_links_only_to_editors(client, process, owner, colleague):
    edit_url = reverse("processes:edit", args=[process.pk])
    client.force_login(owner)
    assert edit_url in client.get(process.get_absolute_url()).content.decode()
    client.force_login(colleague)
    assert edit_url not in client.get(process.get_absolute_url()).content.decode()


def test_a_quality_manager_of_another_agency_cannot_edit(process, stranger):
    from django.contrib.auth.models import Group

    stranger.groups.add(Group.objects.get(name="Quality manager"))
    stranger.__dict__.pop("role_names", None)
    assert not Process.objects.editable_by(stranger).exists()
    with pytest.raises(PermissionDenied):
        workflow.process_update(process=process, actor=stranger, fields={"name": "Changed"})


def test_only_editors_remove_interactions(client, owner, colleague, process, process_b):
    link = workflow.interaction_add(source=process, target=process_b, output="Invoice", actor=owner)
    client.force_login(colleague)
    url = reverse("processes:interaction_remove", args=[link.pk])
    assert client.post(url).status_code == 403
    assert client.get(url).status_code == 405
    assert process.feeds.count() == 1
