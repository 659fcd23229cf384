"""Defining a process (SIPOC, clauses) and its interactions; bad input is refused whole."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from processes import workflow
from processes.models import Clause, Interaction, Process, ProcessInput

pytestmark = pytest.mark.django_db


def process_post(department, owner, **overrides):
    data = {
        "code": "core-07",
        "name": "Permit licensing",
        "category": "core",
        "owner": owner.pk,
        "department": department.pk,
        "purpose": "Decide permits on time.",
        "inputs": "Application | Citizen\nSite plan | Architect",
        "outputs": "Permit decision | Applicant",
        "clauses": [Clause.objects.get(number="8.5.1").pk, Clause.objects.get(number="4.4").pk],
        "is_active": "on",
    }
    data.update(overrides)
    return data


def test_quality_manager_defines_a_process_with_sipoc_and_clauses(
    client, quality_manager, owner, department_a
):
    client.force_login(quality_manager)
    response = client.post(reverse("processes:create"), process_post(department_a, owner))
    assert response.status_code == 302
    process = Process.objects.get(code="CORE-07")
    assert process.agency_id == department_a.agency_id
    assert [(i.name, i.supplier) for i in process.inputs.all()] == [
        ("Application", "Citizen"),
        ("Site plan", "Architect"),
    ]
    assert [(o.name, o.customer) for o in process.outputs.all()] == [
        ("Permit decision", "Applicant")
    ]
    assert set(process.clauses.values_list("number", flat=True)) == {"4.4", "8.5.1"}
    first = process.history.earliest()
    assert first.history_user == quality_manager
    assert first.history_change_reason == "Process defined"
    page = client.get(process.get_absolute_url()).content.decode()
    for text in ("Site plan", "Architect", "Permit decision", "8.5.1", "With what?", "How well?"):
        assert text in page


def test_duplicate_code_is_a_form_error_not_a_500(
    client, quality_manager, owner, department_a, process
):
    client.force_login(quality_manager)
    response = client.post(
        reverse("processes:create"), process_post(department_a, owner, code="CORE-01")
    )
    assert response.status_code == 400
    assert "CORE-01 is already used by" in response.content.decode()
    assert Process.objects.count() == 1
    assert not ProcessInput.objects.exists()


def test_a_malformed_sipoc_line_is_refused_and_nothing_is_saved(
    client, quality_manager, owner, department_a
):
    client.force_login(quality_manager)
    response = client.post(
        reverse("processes:create"),
        process_post(department_a, owner, inputs="Application | Citizen\n | Nobody"),
    )
    assert response.status_code == 400
    assert "Line 2 has no name" in response.content.decode()
    assert not Process.objects.exists()


def test_the_owner_edits_inputs_and_unchanged_rows_are_kept(client, owner, process, department_a):
    workflow.process_update(
        process=process,
        actor=owner,
        fields={},
        inputs=[("Application", "Citizen"), ("Fee", "Citizen")],
    )
    kept = process.inputs.get(name="Application")
    client.force_login(owner)
    data = process_post(
        department_a, owner, code="CORE-01", inputs="Application | Citizen\nSite plan | Architect"
    )
    response = client.post(reverse("processes:edit", args=[process.pk]), data)
    assert response.status_code == 302
    assert list(process.inputs.values_list("name", flat=True)) == ["Application", "Site plan"]
    assert process.inputs.get(name="Application").pk == kept.pk
    assert ProcessInput.history.filter(name="Fee", history_type="-").exists()


def test_a_department_of_another_agency_is_refused(quality_manager, owner, other_agency_department):
    with pytest.raises(workflow.ProcessRuleError, match="your own agency"):
        workflow.process_create(
            actor=quality_manager,
            fields={
                "code": "X-01",
                "name": "X",
                "category": "core",
                "owner": owner,
                "department": other_agency_department,
            },
        )
    assert not Process.objects.exists()


def test_interactions_may_form_cycles(owner, quality_manager, process, process_b):
    workflow.interaction_add(source=process, target=process_b, output="Invoice", actor=owner)
    workflow.interaction_add(
        source=process_b, target=process, output="Payment", actor=quality_manager
    )
    assert Interaction.objects.count() == 2


def test_a_process_cannot_feed_itself(client, owner, process):
    with pytest.raises(workflow.ProcessRuleError, match="cannot feed itself"):
        workflow.interaction_add(source=process, target=process, output="Loop", actor=owner)
    client.force_login(owner)
    response = client.post(
        reverse("processes:interaction_add", args=[process.pk]),
        {"target": process.pk, "output": "Loop"},
    )
    assert response.status_code == 400
    assert "cannot feed itself" in response.content.decode()
    assert not Interaction.objects.exists()


def test_the_database_refuses_self_links_too(process):
    with pytest.raises(IntegrityError), transaction.atomic():
        Interaction.objects.create(source=process, target=process, output="Loop")


def test_a_duplicate_interaction_gets_a_clear_error(client, owner, process, process_b):
    workflow.interaction_add(source=process, target=process_b, output="Invoice", actor=owner)
    client.force_login(owner)
    response = client.post(
        reverse("processes:interaction_add", args=[process.pk]),
        {"target": process_b.pk, "output": "Invoice"},
    )
    assert response.status_code == 400
    assert "already feeds" in response.content.decode()
    assert Interaction.objects.count() == 1


def test_interactions_show_on_both_process_pages_and_can_be_removed(
    client, owner, process, process_b
):
    link = workflow.interaction_add(source=process, target=process_b, output="Invoice", actor=owner)
    client.force_login(owner)
    assert "Invoice" in client.get(process_b.get_absolute_url()).content.decode()
    response = client.post(reverse("processes:interaction_remove", args=[link.pk]))
    assert response.status_code == 302
    assert not Interaction.objects.exists()
    assert Interaction.history.filter(history_type="-", history_user=owner).exists()
