"""What every page-steps test does: read the steps a page offers, compare them with the workflow's
``available_steps``, and post the others to see them refused without a change.

Each detail page has its own ``test_page_steps.py`` (its states, personas and expected steps); the
mechanics live here once.
"""

import re
from types import SimpleNamespace

from django.db import transaction

STEP_ATTRIBUTE = re.compile(r'data-step="([a-z_]+)"')


def shown_steps(html):
    """The ``data-step`` names of the forms and buttons on a page."""
    return set(STEP_ATTRIBUTE.findall(html))


def fixtures_by_name(request, names):
    """The named pytest fixtures as attributes (``world.auditor``…), for one test's personas."""
    return SimpleNamespace(**{name: request.getfixturevalue(name) for name in names})


def assert_page_offers(client, person, url, expected, available):
    """The person's page shows exactly ``expected`` steps (``None``: the page is a 404), and they
    are what ``available()`` (the workflow's ``available_steps``) says."""
    client.force_login(person)
    response = client.get(url)
    if expected is None:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    shown = shown_steps(response.content.decode())
    assert shown == set(available()), "the page and available_steps disagree"
    assert shown == expected


def assert_refused_unchanged(post, steps, snapshot):
    """Posting each step not offered is refused (4xx) and changes nothing ``snapshot`` sees."""
    for step in sorted(steps):
        before = snapshot()
        response = post(step)
        assert 400 <= response.status_code < 500, (step, response.status_code)
        assert snapshot() == before, f"{step} changed the record"


def assert_accepted(post, steps):
    """Posting each offered step (valid data) is accepted; each is rolled back afterwards."""
    for step in sorted(steps):
        savepoint = transaction.savepoint()
        response = post(step)
        assert response.status_code == 302, (step, response.status_code)
        transaction.savepoint_rollback(savepoint)
