"""List pages and the map run the same number of queries for 10 and for 60 processes."""

import pytest
from django.urls import reverse

from .conftest import make_processes

pytestmark = pytest.mark.django_db

PAGES = [
    "processes:list",
    "processes:export",
    "processes:risks",
    "processes:map",
    "processes:map_svg",
]


def get_whole(client, url):
    """GET the page and read all of it: a streamed export queries while it is read."""
    response = client.get(url)
    if response.streaming:
        b"".join(response.streaming_content)
    return response


def query_count(client, url, django_assert_max_num_queries):
    with django_assert_max_num_queries(50) as captured:
        assert get_whole(client, url).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("name", PAGES)
def test_query_count_does_not_grow_with_rows(
    client, owner, department_a, name, django_assert_num_queries, django_assert_max_num_queries
):
    url = reverse(name)
    client.force_login(owner)
    make_processes(10, owner=owner, department=department_a, prefix="A")
    client.get(url)  # warm per-session caches (session, content types)
    small = query_count(client, url, django_assert_max_num_queries)
    make_processes(50, owner=owner, department=department_a, prefix="B")
    with django_assert_num_queries(small):
        response = get_whole(client, url)
    assert response.status_code == 200
    assert small <= 12
