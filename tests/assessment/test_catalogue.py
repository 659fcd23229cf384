"""The indicator catalogue: forty bilingual indicators in four areas, editable data."""

import pytest
from django.urls import reverse

from assessment.catalogue import INDICATORS, load_catalogue
from assessment.models import Area, Indicator

pytestmark = pytest.mark.django_db


def test_default_set_has_about_forty_indicators_in_the_four_areas():
    assert 36 <= len(INDICATORS) <= 44
    areas = {row[1] for row in INDICATORS}
    assert areas == set(Area.values)
    for area in Area.values:
        assert sum(1 for row in INDICATORS if row[1] == area) >= 8
    codes = [row[0] for row in INDICATORS]
    assert len(codes) == len(set(codes))


def test_loading_gives_the_agency_bilingual_indicators_with_responsible_departments(
    agency, department_a, department_b
):
    assert load_catalogue(agency.pk) == len(INDICATORS)
    indicators = Indicator.objects.filter(agency=agency)
    assert indicators.count() == len(INDICATORS)
    for indicator in indicators:
        assert indicator.name_zh and indicator.name_en
        assert indicator.description_zh and indicator.description_en
        assert any("\u4e00" <= ch <= "\u9fff" for ch in indicator.name_zh)
    budget = indicators.get(code="G07")
    assert list(budget.departments.all()) == [department_a]  # FIN matched by code
    assert department_b in indicators.get(code="V01").departments.all()  # URB


def test_loading_again_adds_nothing_and_keeps_edits(agency, department_a):
    load_catalogue(agency.pk)
    edited = Indicator.objects.get(agency=agency, code="G01")
    edited.name_en = "Our own wording"
    edited.save()
    assert load_catalogue(agency.pk) == 0
    edited.refresh_from_db()
    assert edited.name_en == "Our own wording"


def test_migration_loads_the_catalogue_for_existing_agencies(agency, department_a):
    """The data migration runs the loader with historical models for every agency."""
    from importlib import import_module

    from django.apps import apps as live_apps

    migration = import_module("assessment.migrations.0002_indicator_catalogue")
    migration.load_default_catalogue(live_apps, None)
    assert Indicator.objects.filter(agency=agency).count() == len(INDICATORS)


def test_quality_manager_edits_an_indicator_and_thresholds(
    client, quality_manager, agency, department_a, department_b
):
    load_catalogue(agency.pk)
    indicator = Indicator.objects.get(agency=agency, code="E01")
    client.force_login(quality_manager)
    response = client.post(
        reverse("assessment:indicator_edit", args=[indicator.pk]),
        {
            "name_zh": "审批按时办结率",
            "name_en": "Permits on time",
            "description_zh": "说明",
            "description_en": "Text",
            "departments": [department_b.pk],
            "data_source": "service_on_time",
            "direction": "higher",
            "green_threshold": "97",
            "red_threshold": "90",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    indicator.refresh_from_db()
    assert indicator.name_en == "Permits on time"
    assert str(indicator.green_threshold) == "97.00"
    assert list(indicator.departments.all()) == [department_b]
    assert indicator.history.first().history_change_reason == "Indicator edited"


def test_portal_data_without_thresholds_is_refused_and_nothing_saved(
    client, quality_manager, agency
):
    load_catalogue(agency.pk)
    indicator = Indicator.objects.get(agency=agency, code="E01")
    client.force_login(quality_manager)
    response = client.post(
        reverse("assessment:indicator_edit", args=[indicator.pk]),
        {
            "name_zh": "x",
            "name_en": "Changed",
            "data_source": "service_on_time",
            "direction": "higher",
            "green_threshold": "",
            "red_threshold": "",
        },
    )
    assert response.status_code == 400
    assert "thresholds" in response.content.decode()
    indicator.refresh_from_db()
    assert indicator.name_en != "Changed"


def test_staff_cannot_edit_the_catalogue(client, colleague, agency):
    load_catalogue(agency.pk)
    indicator = Indicator.objects.get(agency=agency, code="E01")
    client.force_login(colleague)
    url = reverse("assessment:indicator_edit", args=[indicator.pk])
    assert client.post(url, {"name_en": "x"}).status_code == 403


def test_indicator_catalogue_is_in_the_admin(client, administrator, agency):
    administrator.is_superuser = True
    administrator.save()
    load_catalogue(agency.pk)
    client.force_login(administrator)
    assert client.get(reverse("admin:assessment_indicator_changelist")).status_code == 200
