"""The shared test world: one agency with two departments, and a person for every role.

Personas (as in ../shared/CONVENTIONS.md): ``owner`` heads department A, ``colleague`` works in A,
``outsider`` works in department B, plus ``quality_manager``, ``auditor``, a ``certifier`` with
department A shared, and an ``unshared_certifier``. ``stranger`` belongs to another agency.
"""

import os

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache

from qms_portal.organisation.models import Agency, Department, Person
from qms_portal.organisation.roles import Role
from qms_portal.organisation.workflow import add_member, share_department_with_certifier

PASSWORD = "correct horse battery staple"


def services_available():
    """The run has the real PostgreSQL and Redis (the second pass of .ci/run)."""
    return os.environ.get("DATABASE_URL", "").startswith("postgres") and bool(
        os.environ.get("REDIS_URL")
    )


def pytest_collection_modifyitems(config, items):
    """Deselect (never skip) tests needing PostgreSQL + Redis in the embedded run."""
    if services_available():
        return
    selected = [item for item in items if item.get_closest_marker("services") is None]
    deselected = [item for item in items if item.get_closest_marker("services") is not None]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


def pytest_report_header(config):
    if services_available():
        return "QMS Portal: PostgreSQL + Redis run (tests marked 'services' included)"
    return (
        "QMS Portal: embedded run (SQLite, eager tasks); tests marked 'services' are deselected "
        "and run in .ci/run's PostgreSQL + Redis pass"
    )


@pytest.fixture(autouse=True)
def _tasks_in_process(request):
    """Run tasks in-process, except in tests marked ``services`` that use the real broker."""
    if request.node.get_closest_marker("services"):
        yield
        return
    from qms_portal.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _default_language():
    """A request activates its person's language in the thread; start every test from the default."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttling counters live in the cache (Redis in the services run): start each test clean."""
    cache.clear()
    yield
    cache.clear()


def make_person(username, *, agency=None, roles=(Role.STAFF,), departments=(), head=False, **extra):
    extra.setdefault("language", "en")  # tests read English; zh-Hans has tests of its own
    person = Person.objects.create_user(
        username=username,
        password=PASSWORD,
        email=f"{username}@example.org",
        agency=agency,
        first_name=username.title(),
        **extra,
    )
    person.groups.add(*Group.objects.filter(name__in=[role.value for role in roles]))
    for department in departments:
        add_member(person=person, department=department, is_head=head)
    return person


@pytest.fixture
def agency(db):
    return Agency.objects.create(name="Test City Bureau", code="TC")


@pytest.fixture
def department_a(agency):
    return Department.objects.create(agency=agency, code="FIN", name="Finance")


@pytest.fixture
def section_a(department_a):
    return Department.objects.create(
        agency=department_a.agency, parent=department_a, code="PAY", name="Payroll"
    )


@pytest.fixture
def department_b(agency):
    return Department.objects.create(agency=agency, code="URB", name="Urban Management")


@pytest.fixture
def other_agency(db):
    return Agency.objects.create(name="Neighbour County Bureau", code="NC")


@pytest.fixture
def other_agency_department(other_agency):
    return Department.objects.create(agency=other_agency, code="FIN", name="County Finance")


@pytest.fixture
def owner(agency, department_a):
    return make_person("owner", agency=agency, departments=[department_a], head=True)


@pytest.fixture
def colleague(agency, department_a):
    return make_person("colleague", agency=agency, departments=[department_a])


@pytest.fixture
def outsider(agency, department_b):
    return make_person("outsider", agency=agency, departments=[department_b])


@pytest.fixture
def quality_manager(agency, department_b):
    return make_person(
        "quality_manager",
        agency=agency,
        roles=[Role.QUALITY_MANAGER, Role.STAFF],
        departments=[department_b],
    )


@pytest.fixture
def auditor(agency, department_b):
    return make_person(
        "auditor", agency=agency, roles=[Role.AUDITOR, Role.STAFF], departments=[department_b]
    )


@pytest.fixture
def administrator(agency):
    return make_person("administrator", agency=agency, roles=[Role.ADMINISTRATOR], is_staff=True)


@pytest.fixture
def certifier(department_a, quality_manager):
    person = make_person("certifier", roles=[Role.CERTIFIER], external_organisation="Cert Body")
    share_department_with_certifier(
        department=department_a, certifier=person, actor=quality_manager
    )
    return person


@pytest.fixture
def unshared_certifier(db):
    return make_person("unshared_certifier", roles=[Role.CERTIFIER])


@pytest.fixture
def stranger(other_agency, other_agency_department):
    return make_person("stranger", agency=other_agency, departments=[other_agency_department])


def _has_nul(value):
    if isinstance(value, str | bytes):
        return "\x00" in (value if isinstance(value, str) else value.decode("latin-1"))
    if isinstance(value, list | tuple):
        return any(_has_nul(item) for item in value)
    return False


@pytest.fixture
def postgres_refuses_nul():
    """Every query with a NUL in its SQL or parameters fails as psycopg fails on PostgreSQL, so a
    test on SQLite fails whenever a NUL reaches a query."""
    from django.db import DataError, connection

    def refuse(execute, sql, params, many, context):
        if _has_nul(sql) or _has_nul(list(params or ())):
            raise DataError("A string literal cannot contain NUL (0x00) characters.")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse):
        yield
