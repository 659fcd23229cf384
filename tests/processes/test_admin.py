"""Every processes model is in the admin, with its history."""

import pytest
from django.urls import reverse

from processes import workflow

pytestmark = pytest.mark.django_db

MODELS = [
    "clause",
    "process",
    "processinput",
    "processoutput",
    "interaction",
    "kpi",
    "measurement",
    "risk",
]


@pytest.mark.parametrize("model", MODELS)
def test_admin_list_pages_open(client, administrator, model, process, kpi):
    client.force_login(administrator)
    assert client.get(reverse(f"admin:processes_{model}_changelist")).status_code == 200


def test_admin_shows_the_history_of_a_process(client, administrator, owner, process):
    workflow.process_update(
        process=process, actor=owner, fields={"name": "Renamed"}, reason="Clearer name"
    )
    client.force_login(administrator)
    page = client.get(reverse("admin:processes_process_history", args=[process.pk]))
    assert page.status_code == 200
    assert "Clearer name" in page.content.decode()
