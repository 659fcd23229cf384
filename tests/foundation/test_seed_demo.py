"""`seed_demo` builds a realistic agency and is idempotent."""

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import Client

from qms_portal.organisation.management.commands.seed_demo import DEMO_PASSWORD
from qms_portal.organisation.models import Department, Person
from qms_portal.organisation.roles import Role

pytestmark = pytest.mark.django_db


def row_counts():
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def test_seed_creates_an_agency_with_departments_and_every_role():
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    assert Department.objects.top_level().count() >= 5
    for role in Role:
        assert Person.objects.with_role(role).exists(), role


def test_seeding_twice_changes_nothing():
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    first = row_counts()
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    assert row_counts() == first


def test_printed_demo_logins_work():
    from io import StringIO

    out = StringIO()
    call_command("seed_demo", stdout=out)
    printed = out.getvalue()
    assert DEMO_PASSWORD in printed
    for username in ["admin", "qm.li", "auditor.chen", "staff.wang", "certifier.smith"]:
        assert username in printed
        assert Client().login(username=username, password=DEMO_PASSWORD), username
