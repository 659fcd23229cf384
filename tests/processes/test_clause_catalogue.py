"""The ISO 9001:2015 clause catalogue is loaded by a migration, numbers and titles only."""

import importlib

import pytest
from django.core.management import call_command

from processes.apps import CLAUSE_CATALOGUE_MIGRATION
from processes.models import Clause

CLAUSE_CATALOGUE = importlib.import_module(CLAUSE_CATALOGUE_MIGRATION)

pytestmark = pytest.mark.django_db


def test_catalogue_has_clauses_4_to_10_at_the_top():
    top = list(Clause.objects.filter(parent=None).values_list("number", flat=True))
    assert top == ["4", "5", "6", "7", "8", "9", "10"]


def test_sub_clauses_hang_under_their_clause_and_sort_as_people_read_them():
    assert Clause.objects.get(number="4.4").title == "Quality management system and its processes"
    deep = Clause.objects.get(number="7.1.5.2")
    assert deep.title == "Measurement traceability"
    assert deep.parent.number == "7.1.5"
    assert deep.parent.parent.parent.number == "7"
    numbers = list(Clause.objects.values_list("number", flat=True))
    assert numbers.index("9.3.3") < numbers.index("10") < numbers.index("10.3")
    assert numbers.index("7.1.6") < numbers.index("7.2")


def test_catalogue_covers_the_clauses_the_issue_names():
    numbers = set(Clause.objects.values_list("number", flat=True))
    assert {"4.4", "6.1", "9.1", "9.1.1", "9.2", "9.3", "10.2", "7.5.3.2", "8.5.1"} <= numbers
    assert len(numbers) >= 80


def test_titles_only_no_requirement_text():
    assert max(len(title) for title in Clause.objects.values_list("title", flat=True)) < 80


@pytest.mark.django_db(transaction=True)
def test_a_flush_puts_the_catalogue_back():
    """``manage.py flush`` (and each transactional test's clean-up) empties every table; the
    catalogue is reference data, so the ``post_migrate`` that follows loads it again."""
    call_command("flush", interactive=False, verbosity=0)
    assert Clause.objects.count() == len(CLAUSE_CATALOGUE.CLAUSES)
    assert Clause.objects.get(number="7.5.3").parent.number == "7.5"
