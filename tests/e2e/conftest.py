"""Browser journeys: Playwright driving Debian's Chromium against the portal on a live server.

Each journey module gets the demo agency (``seed_demo``) once, for its English and its zh-Hans
run, served on 127.0.0.1 by a live server thread, and one Chromium; each person in a journey gets
their own browser context (their own cookies).
The helpers here also check basic accessibility on every page a journey visits: a non-empty page
title, a label on every visible form field, and the main form submitted from the keyboard.
Screenshots land in ``test-artifacts/e2e/`` (git-ignored), named after the test and the step.
"""

import os
import re
from io import BytesIO, StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connections
from django.test import override_settings
from playwright.sync_api import expect, sync_playwright
from pytest_django.live_server_helper import LiveServer

CHROMIUM = "/usr/bin/chromium"
# No network on the build machines: keep Chromium from calling home (and retrying forever).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
DEMO_PASSWORD = "demo-qms-2026"
LANGUAGES = ["en", "zh-hans"]
TIMEOUT_MS = 15_000
ENGLISH_FOOTER = "QMS Portal — ISO 9001 quality management for public administration"
CHINESE_FOOTER = "质量管理门户 — 面向政务服务的 ISO 9001 质量管理"

# Every visible field that a person fills in, and that has no label a screen reader would announce.
UNLABELLED_FIELDS_JS = """
() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(el => !['hidden', 'submit', 'button', 'reset', 'image'].includes(
      (el.getAttribute('type') || '').toLowerCase()))
  .filter(el => {
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    return style.display !== 'none' && style.visibility !== 'hidden'
      && box.width > 0 && box.height > 0 && !el.closest('[aria-hidden="true"]');
  })
  .filter(el => {
    const labelled = Array.from(el.labels || []).some(label => label.textContent.trim());
    const ariaLabel = (el.getAttribute('aria-label') || '').trim();
    const labelledBy = (el.getAttribute('aria-labelledby') || '').split(/\\s+/)
      .some(id => id && document.getElementById(id)?.textContent.trim());
    return !(labelled || ariaLabel || labelledBy);
  })
  .map(el => el.outerHTML.slice(0, 160))
"""


def pytest_collection_modifyitems(items):
    """Everything under tests/e2e is a browser journey."""
    for item in items:
        if "/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="module")
def browser():
    """One Chromium for a journey module.

    Playwright's sync API keeps an event loop running in this thread, which Django takes for
    async code; allow Django's synchronous calls while it runs. Module scope ends the loop (and
    the allowance) before tests of other modules, and never leaks it into their subprocesses
    (``manage.py check --deploy`` refuses it).
    """
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield launched
            launched.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(params=LANGUAGES)
def language(request):
    return request.param


@pytest.fixture
def transactional_db(django_db_setup, django_db_blocker):
    """Database access for a journey, replacing pytest-django's ``transactional_db`` here.

    The journeys share committed data with the live server thread: seeded once per module for
    both languages, emptied after the module (``demo_portal``), not after every test. Keeping the
    name makes pytest-django set up the test database and run the journeys with the other
    transactional tests.
    """
    with django_db_blocker.unblock():
        yield


@pytest.fixture(scope="session")
def portal_server(django_db_setup, django_db_blocker):
    """The portal served on 127.0.0.1 by a thread of this process (pytest-django's live server)."""
    with django_db_blocker.unblock():
        server = LiveServer("127.0.0.1")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def demo_portal(portal_server, django_db_blocker, browser, tmp_path_factory):
    """The demo agency on the live server, seeded once per journey module; emptied afterwards.

    Emptying the database sends ``post_migrate``, which re-creates the role groups and the ISO 9001
    clause catalogue for the tests after.
    """
    plain_http = override_settings(
        SESSION_COOKIE_SECURE=False,  # plain http on 127.0.0.1: keep the cookies
        CSRF_COOKIE_SECURE=False,
        SECURE_SSL_REDIRECT=False,
        SECURE_HSTS_SECONDS=0,
        MEDIA_ROOT=tmp_path_factory.mktemp("media"),
    )
    with django_db_blocker.unblock(), plain_http:
        call_command("seed_demo", stdout=StringIO())
        try:
            yield portal_server.url
        finally:
            call_command("flush", interactive=False, verbosity=0)
            # While Playwright's loop runs, Django keeps connections per context, not per thread:
            # close them here, or PostgreSQL refuses to drop the test database at the end.
            connections.close_all()


@pytest.fixture
def portal(request, demo_portal, transactional_db, browser):
    """The live demo portal, and a way to open browser sessions on it."""
    assert demo_portal.startswith("http://127.0.0.1:"), demo_portal
    shots = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    shots.mkdir(parents=True, exist_ok=True)
    for old in shots.glob("*.png"):
        old.unlink()
    portal = Portal(demo_portal, browser, shots)
    yield portal
    portal.close()


class Portal:
    """The live portal, with one browser context per person taking part in a journey."""

    def __init__(self, url, browser, shots):
        self.url = url.rstrip("/")
        self.browser = browser
        self.shots = shots
        self.contexts = []
        self.step = 0

    def visit(self, username=None):
        """A fresh browser session (no cookies); signed in as ``username`` when given."""
        context = self.browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        # Chromium asks for /favicon.ico after a page has loaded. On SQLite the live server shares
        # the test's database connection, so a request nobody waits for could use it at the same
        # time as the test: answer it in the browser instead.
        context.route("**/favicon.ico", lambda route: route.fulfill(status=204, body=""))
        self.contexts.append(context)
        page = context.new_page()
        visitor = Visitor(self, page, username)
        if username:
            visitor.sign_in()
        return visitor

    def screenshot(self, page, name):
        self.step += 1
        page.screenshot(path=self.shots / f"{self.step:02d}-{name}.png", full_page=True)

    def close(self):
        for context in self.contexts:
            context.close()


class Visitor:
    """One person in the browser. ``go`` and ``submit`` check every page they arrive on."""

    def __init__(self, portal, page, username):
        self.portal = portal
        self.page = page
        self.username = username

    def go(self, path, shot=None):
        response = self.page.goto(self.portal.url + path)
        assert response.ok, f"{path} answered {response.status}"
        self.arrived(shot)
        return self.page

    def arrived(self, shot=None):
        """Checks every page passes; ``shot`` names the screenshot of this step."""
        assert_accessible(self.page)
        assert_in_its_language(self.page)
        if shot:
            self.portal.screenshot(self.page, f"{self.username or 'citizen'}-{shot}")

    def sign_in(self):
        self.go("/accounts/login/")
        self.page.get_by_label(re.compile("username|用户名", re.I)).fill(self.username)
        self.page.locator("#id_password").fill(DEMO_PASSWORD)
        with self.page.expect_navigation():
            self.page.locator("main form button[type=submit]").click()
        assert "/accounts/login/" not in self.page.url, f"{self.username} could not sign in"
        self.arrived()

    def switch_language(self, code):
        """Use the language switcher in the page header, as a person would."""
        switcher = self.page.locator("form.language")
        switcher.locator("select[name=language]").select_option(code)
        with self.page.expect_navigation():
            switcher.locator("button[type=submit]").click()
        expect(self.page.locator("html")).to_have_attribute("lang", code)
        expect(switcher.locator("select[name=language]")).to_have_value(code)
        self.arrived()

    def submit(self, button, shot=None):
        """Click a form's submit button and wait for the page it leads to."""
        with self.page.expect_navigation():
            button.click()
        self.arrived(shot)

    def submit_with_keyboard(self, form, shot=None):
        """Tab from the form's first field to its submit button and press Enter."""
        button = form.locator("button[type=submit], input[type=submit]").last
        first = form.locator("input:not([type=hidden]), select, textarea").first
        first.focus()
        for _press in range(40):
            if button.evaluate("element => element === document.activeElement"):
                break
            self.page.keyboard.press("Tab")
        else:
            raise AssertionError("The submit button cannot be reached with the Tab key.")
        with self.page.expect_navigation():
            self.page.keyboard.press("Enter")
        self.arrived(shot)

    def lang(self):
        return self.page.locator("html").get_attribute("lang")


def assert_accessible(page):
    """A page title of its own, and a label on every visible form field."""
    title = page.title().strip()
    assert title and not title.startswith("·"), f"{page.url} has no title of its own: {title!r}"
    unlabelled = page.evaluate(UNLABELLED_FIELDS_JS)
    assert not unlabelled, f"{page.url}: form fields without a label: {unlabelled}"


def assert_in_its_language(page):
    """The portal's own text is in the page's language: the footer comes from the project's
    catalogue (Django's bundled zh_Hans catalogue would switch ``lang`` without it)."""
    footer = page.locator("footer.footer")
    if not footer.count():
        return
    text = footer.inner_text().strip()
    if page.locator("html").get_attribute("lang") == "zh-hans":
        assert text == CHINESE_FOOTER, f"{page.url}: footer not translated: {text!r}"
    else:
        assert text == ENGLISH_FOOTER, f"{page.url}: footer {text!r}"


def png_photo():
    """A small real PNG (the portal checks the content, not the name)."""
    from PIL import Image

    data = BytesIO()
    Image.new("RGB", (40, 30), (200, 60, 40)).save(data, format="PNG")
    return data.getvalue()
