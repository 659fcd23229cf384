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


class SignedInUser(HttpUser):
    abstract = True
    username = ""

    def on_start(self):
        page = self.client.get("/accounts/login/", name="login form")
        self.client.post(
            "/accounts/login/",
            {
                "username": self.username,
                "password": DEMO_PASSWORD,
                "csrfmiddlewaretoken": csrf_token(page),
            },
            headers={"Referer": f"{self.host}/accounts/login/"},
            name="sign in",
        )


class CitizenUser(HttpUser):
    weight = 5
    wait_time = between(1, 3)
    codes = []

    @task(3)
    def browse_and_submit(self):
        self.client.get("/services/", name="catalogue")
        form = self.client.get("/services/s/LOAD-TEST/", name="service page")
        response = self.client.post(
            "/services/s/LOAD-TEST/",
            {
                "description": "Street light out at the corner of Jianshe Road.",
                "address": "Jianshe Road 1",
                "csrfmiddlewaretoken": csrf_token(form),
            },
            headers={"Referer": f"{self.host}/services/s/LOAD-TEST/"},
            name="submit request",
        )
        match = TRACKING.search(response.url or "") or TRACKING.search(response.text)
        if match:
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
        page = self.client.get("/services/queue/", name="request queue")
        ids = REQUEST_LINK.findall(page.text)
        if ids:
            self.client.get(f"/services/requests/{random.choice(ids)}/", name="request page")

    @task(2)
    def my_work(self):
        self.client.get("/", name="my work")

    @task(2)
    def documents(self):
        page = self.client.get("/documents/", name="document register")
        ids = DOCUMENT_LINK.findall(page.text)
        if ids:
            self.client.get(f"/documents/{random.choice(ids)}/", name="document page")

    @task(1)
    def processes(self):
        self.client.get("/processes/", name="process register")


class QualityManagerUser(SignedInUser):
    weight = 1
    wait_time = between(2, 4)
    username = "qm.li"

    @task(3)
    def dashboard(self):
        self.client.get("/audits/dashboard/", name="dashboard")

    @task(1)
    def nonconformities(self):
        self.client.get("/audits/nonconformities/", name="nonconformities")

    @task(1)
    def risks(self):
        self.client.get("/processes/risks/", name="risk register")


class TrivialUser(HttpUser):
    wait_time = between(1, 3)

    @task
    def robots(self):
        self.client.get("/robots.txt", name="baseline: robots.txt")
