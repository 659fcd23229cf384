"""The portal's realistic load mix, for benchmarks/load.py (locust, headless, loopback only).

Citizens browse the catalogue, submit requests and track them; staff work their queue and the
registers; quality managers look at the dashboard. ``TrivialUser`` is the baseline: robots.txt,
a Django view with no database work, served by the same gunicorn.
"""

import random
import re

from locust import HttpUser, between, task

DEMO_PASSWORD = "demo-qms-2026"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TRACKING = re.compile(r"/services/track/([A-Z0-9-]+)/")
REQUEST_LINK = re.compile(r'href="/services/requests/(\d+)/"')
DOCUMENT_LINK = re.compile(r'href="/documents/(\d+)/"')


def csrf_token(response):
    match = CSRF.search(response.text)
    return match.group(1) if match else ""


def checked_get(client, url, name, must_contain=None):
    """GET that counts as a failure when it lands on the sign-in page (a lost session would
    otherwise be measured as fast successes) or lacks the text the page must show."""
    with client.get(url, name=name, catch_response=True) as response:
        if "/accounts/login/" in (response.url or ""):
            response.failure("redirected to the sign-in page")
        elif must_contain and must_contain not in response.text:
            response.failure(f"page lacks {must_contain!r}")
        return response


class SignedInUser(HttpUser):
    abstract = True
    username = ""

    def on_start(self):
        page = self.client.get("/accounts/login/", name="login form")
        with self.client.post(
            "/accounts/login/",
            {
                "username": self.username,
                "password": DEMO_PASSWORD,
                "csrfmiddlewaretoken": csrf_token(page),
            },
            headers={"Referer": f"{self.host}/accounts/login/"},
            name="sign in",
            catch_response=True,
        ) as response:
            if "/accounts/login/" in (response.url or ""):
                response.failure(f"{self.username} could not sign in")


class CitizenUser(HttpUser):
    weight = 5
    wait_time = between(1, 3)
    codes = []

    @task(3)
    def browse_and_submit(self):
        self.client.get("/services/", name="catalogue")
        form = self.client.get("/services/s/LOAD-TEST/", name="service page")
        with self.client.post(
            "/services/s/LOAD-TEST/",
            {
                "description": "Street light out at the corner of Jianshe Road.",
                "address": "Jianshe Road 1",
                "csrfmiddlewaretoken": csrf_token(form),
            },
            headers={"Referer": f"{self.host}/services/s/LOAD-TEST/"},
            name="submit request",
            catch_response=True,
        ) as response:
            match = TRACKING.search(response.url or "") or TRACKING.search(response.text)
            if not match:
                response.failure("no tracking code after submitting")
                return
        CitizenUser.codes.append(match.group(1))
        del CitizenUser.codes[:-500]

    @task(4)
    def track(self):
        if CitizenUser.codes:
            self.client.get(
                f"/services/track/{random.choice(CitizenUser.codes)}/", name="track request"
            )

    @task(1)
    def open311(self):
        self.client.get("/open311/v2/services.json", name="open311 services")


class StaffUser(SignedInUser):
    weight = 3
    wait_time = between(1, 3)
    username = "staff.huang"

    @task(3)
    def queue(self):
        page = checked_get(self.client, "/services/queue/", "request queue")
        ids = REQUEST_LINK.findall(page.text)
        if not ids:
            return
        request_id = random.choice(ids)
        detail = checked_get(self.client, f"/services/requests/{request_id}/", "request page")
        action = f"/services/requests/{request_id}/do/acknowledge/"
        if action in detail.text:
            self.acknowledge(action, csrf_token(detail), request_id)

    def acknowledge(self, action, token, request_id):
        """A transition under load (row-locked). When another virtual member of staff acknowledged
        the same request a moment earlier, the portal refuses with a message on the request page."""
        self.client.post(
            action,
            {"note": "We have received your request.", "csrfmiddlewaretoken": token},
            headers={"Referer": f"{self.host}/services/requests/{request_id}/"},
            name="acknowledge request",
        )

    @task(2)
    def my_work(self):
        checked_get(self.client, "/", "my work")

    @task(2)
    def documents(self):
        page = checked_get(self.client, "/documents/", "document register")
        ids = DOCUMENT_LINK.findall(page.text)
        if ids:
            checked_get(self.client, f"/documents/{random.choice(ids)}/", "document page")

    @task(1)
    def processes(self):
        checked_get(self.client, "/processes/", "process register")


class QualityManagerUser(SignedInUser):
    weight = 1
    wait_time = between(2, 4)
    username = "qm.li"

    @task(3)
    def dashboard(self):
        checked_get(self.client, "/audits/dashboard/", "dashboard")

    @task(1)
    def nonconformities(self):
        checked_get(self.client, "/audits/nonconformities/", "nonconformities")

    @task(1)
    def risks(self):
        checked_get(self.client, "/processes/risks/", "risk register")


class TrivialUser(HttpUser):
    wait_time = between(1, 3)

    @task
    def robots(self):
        self.client.get("/robots.txt", name="baseline: robots.txt")
