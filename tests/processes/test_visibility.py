"""Who sees which processes: agency staff their agency's, certifiers only shared departments."""

import pytest
from django.urls import reverse
from model_bakery import baker

from processes.models import Kpi, Process, Risk

pytestmark = pytest.mark.django_db


def visible_codes(person):
    return set(Process.objects.visible_to(person).values_list("code", flat=True))


def test_agency_staff_see_all_processes_of_their_agency(
    process, process_b, owner, colleague, outsider, quality_manager, auditor
):
    for person in (owner, colleague, outsider, quality_manager, auditor):
        assert visible_codes(person) == {"CORE-01", "SUP-01"}, person.username


def test_other_agencies_and_unshared_certifiers_see_nothing(
    process, process_b, stranger, unshared_certifier
):
    assert visible_codes(stranger) == set()
    assert visible_codes(unshared_certifier) == set()


def test_certifier_sees_processes_of_shared_departments_only(process, process_b, certifier):
    assert visible_codes(certifier) == {"CORE-01"}


@pytest.mark.parametrize(
    "persona, expected",
    [
        ("owner", 200),
        ("colleague", 200),
        ("outsider", 200),
        ("quality_manager", 200),
        ("certifier", 200),
        ("stranger", 404),
        ("unshared_certifier", 404),
    ],
)
def test_process_page_follows_the_same_rule(client, request, process, kpi, persona, expected):
    risk = baker.make(
        Risk, process=process, likelihood=2, impact=3, owner=process.owner, review_date="2030-01-01"
    )
    client.force_login(request.getfixturevalue(persona))
    for url in [
        reverse("processes:detail", args=[process.pk]),
        reverse("processes:kpi", args=[kpi.pk]),
        reverse("processes:risk_edit", args=[risk.pk]),
    ]:
        assert client.get(url).status_code == expected, url


def test_certifier_gets_404_for_a_department_not_shared(client, certifier, process_b):
    client.force_login(certifier)
    assert client.get(reverse("processes:detail", args=[process_b.pk])).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, process):
    response = client.get(reverse("processes:detail", args=[process.pk]))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_lists_show_only_visible_processes(client, process, process_b, certifier, stranger):
    client.force_login(certifier)
    page = client.get(reverse("processes:list")).content.decode()
    assert "CORE-01" in page and "SUP-01" not in page
    client.force_login(stranger)
    for name in ("processes:list", "processes:map", "processes:risks", "processes:export"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert "CORE-01" not in body.decode(), name


def test_kpis_of_invisible_processes_are_invisible(kpi, stranger, owner):
    assert not Kpi.objects.visible_to(stranger).exists()
    assert list(Kpi.objects.visible_to(owner)) == [kpi]
