"""The audit lists run a number of queries that does not grow with the rows."""

import pytest
from django.urls import reverse

from tests.audits.test_dashboard import seed
from tests.documents.test_register import count_queries

pytestmark = pytest.mark.django_db

LISTS = [
    "capa:nc_list",
    "capa:action_list",
    "auditing:audit_list",
    "review:review_list",
    "auditing:programmes",
]


@pytest.mark.parametrize("name", LISTS)
def test_list_queries_do_not_grow(
    client, name, quality_manager, agency, department_a, department_b, owner
):
    client.force_login(quality_manager)
    seed(5, agency=agency, department=department_a, owner=owner, raiser=quality_manager)
    small = count_queries(client, reverse(name))
    seed(60, agency=agency, department=department_b, owner=owner, raiser=quality_manager)
    assert count_queries(client, reverse(name)) == small
