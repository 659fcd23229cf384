"""Seed a realistic demo agency. Idempotent: a second run changes nothing."""

import importlib

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings
from django.utils.translation import gettext_noop

from qms_portal.chain_seal import issue_head, published_form
from qms_portal.organisation.models import Agency, Department, Person
from qms_portal.organisation.roles import Role
from qms_portal.organisation.workflow import add_member, share_department_with_certifier
from qms_portal.statemachine import save_with_history

DEMO_PASSWORD = "demo-qms-2026"

AGENCY = {
    "code": "JM",
    "name": "江门市政务服务示范局 Jiangmen Government Services Demonstration Bureau",
    "short_name": "Jiangmen Demo Bureau",
    "address": "1 Demonstration Road, Jiangmen, Guangdong",
}

# code, name, parent code
DEPARTMENTS = [
    ("GO", "办公室 General Office", None),
    ("ARCH", "档案室 Records and Archives", "GO"),
    ("QA", "质量管理办公室 Quality Office", None),
    ("FIN", "财务科 Finance", None),
    ("HR", "人事科 Human Resources", None),
    ("AAS", "行政审批服务科 Administrative Approval Services", None),
    ("PERMIT", "窗口受理组 Permit Counter", "AAS"),
    ("URB", "城市管理科 Urban Management", None),
    ("HOT", "12345 市民服务热线 Citizen Hotline", None),
]

# username, first, last, job title, roles, [(department, is_head)]
PEOPLE = [
    ("admin", "Min", "Guo", "System administrator", [Role.ADMINISTRATOR], [("GO", False)]),
    ("qm.li", "Na", "Li", "Quality manager", [Role.QUALITY_MANAGER, Role.STAFF], [("QA", True)]),
    (
        "auditor.chen",
        "Jie",
        "Chen",
        "Internal auditor",
        [Role.AUDITOR, Role.STAFF],
        [("HR", False)],
    ),
    (
        "auditor.zhao",
        "Lei",
        "Zhao",
        "Internal auditor",
        [Role.AUDITOR, Role.STAFF],
        [("FIN", False)],
    ),
    ("staff.sun", "Hui", "Sun", "Office director", [Role.STAFF], [("GO", True)]),
    ("staff.he", "Yan", "He", "Archivist", [Role.STAFF], [("ARCH", True)]),
    ("staff.wang", "Fang", "Wang", "Head of finance", [Role.STAFF], [("FIN", True)]),
    ("staff.liu", "Yang", "Liu", "Accountant", [Role.STAFF], [("FIN", False)]),
    ("staff.ma", "Jun", "Ma", "Head of human resources", [Role.STAFF], [("HR", True)]),
    ("staff.huang", "Ling", "Huang", "Head of approval services", [Role.STAFF], [("AAS", True)]),
    ("staff.zhou", "Qiang", "Zhou", "Counter officer", [Role.STAFF], [("PERMIT", False)]),
    ("staff.wu", "Xin", "Wu", "Head of urban management", [Role.STAFF], [("URB", True)]),
    ("staff.xu", "Ping", "Xu", "Hotline supervisor", [Role.STAFF], [("HOT", True)]),
]

CERTIFIER = (
    "certifier.smith",
    "Alex",
    "Smith",
    "Lead assessor",
    "Guangdong Certification Centre (demo)",
)
CERTIFIER_SHARED_DEPARTMENTS = ["AAS", "FIN"]

# Each app seeds its own demo data in `<app>/demo.py`: `seed(*, agency, people, stdout)`,
# idempotent like this command. Order matters: later apps link to earlier apps' records, and audits
# comes last because its management review, self-assessments and evidence pack summarise the
# service requests.
APP_DEMO_MODULES = [
    "documents.demo",
    "processes.demo",
    "services.demo",
    "audits.demo",
    "retention.demo",
]


class Command(BaseCommand):
    help = "Create the demo agency, departments and people (safe to run again)."

    def handle(self, *args, **options):
        # Demo e-mails (review requests, reminders) are kept in memory, not printed.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            with transaction.atomic():
                self._seed()
        # Published on the transparency page, as the daily beat task would the next night.
        head = issue_head("demo seeded", key="demo")  # once: seeding again changes nothing
        self._print_logins()
        self.stdout.write(f"Audit-trail chain head (transparency page): {published_form(head)}")

    def _seed(self):
        agency, _ = Agency.objects.get_or_create(code=AGENCY["code"], defaults=AGENCY)
        departments = self._departments(agency)
        people = {
            username: self._person(agency, departments, *rest, username=username)
            for username, *rest in PEOPLE
        }
        if agency.verification_deputy_id is None:  # one quality manager: the office director
            agency.verification_deputy = people["staff.sun"]  # verifies the manager's own NCs
            save_with_history(agency, actor=None, reason=gettext_noop("Verification deputy named"))
        certifier = self._certifier()
        for code in CERTIFIER_SHARED_DEPARTMENTS:
            if not certifier.has_perm("organisation.view_department", departments[code]):
                share_department_with_certifier(
                    department=departments[code], certifier=certifier, actor=people["qm.li"]
                )
        people[certifier.username] = certifier
        for module_name in APP_DEMO_MODULES:
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as error:
                if error.name != module_name:
                    raise
                continue
            module.seed(agency=agency, people=people, stdout=self.stdout)

    def _departments(self, agency):
        departments = {}
        for code, name, parent_code in DEPARTMENTS:
            departments[code], _ = Department.objects.get_or_create(
                agency=agency,
                code=code,
                defaults={"name": name, "parent": departments.get(parent_code)},
            )
        return departments

    def _person(self, agency, departments, first, last, title, roles, memberships, *, username):
        person, created = Person.objects.get_or_create(
            username=username,
            defaults={
                "agency": agency,
                "first_name": first,
                "last_name": last,
                "job_title": title,
                "email": f"{username}@jiangmen-demo.example",
                "is_staff": Role.ADMINISTRATOR in roles,
                "is_superuser": username == "admin",
            },
        )
        if created:
            person.set_password(DEMO_PASSWORD)
            person.save(update_fields=["password"])
        self._grant_roles(person, roles)
        for code, is_head in memberships:
            membership = person.memberships.filter(department=departments[code]).first()
            if membership is None or membership.is_head != is_head:
                add_member(person=person, department=departments[code], is_head=is_head)
        return person

    def _certifier(self):
        username, first, last, title, organisation = CERTIFIER
        person, created = Person.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "job_title": title,
                "external_organisation": organisation,
                "email": f"{username}@certifier.example",
                "language": "en",
            },
        )
        if created:
            person.set_password(DEMO_PASSWORD)
            person.save(update_fields=["password"])
        self._grant_roles(person, [Role.CERTIFIER])
        return person

    @staticmethod
    def _grant_roles(person, roles):
        held = set(person.groups.values_list("name", flat=True))
        missing = [role.value for role in roles if role.value not in held]
        if missing:
            person.groups.add(*Group.objects.filter(name__in=missing))
        person.__dict__.pop("role_names", None)

    def _print_logins(self):
        self.stdout.write(
            self.style.SUCCESS("Demo agency ready. Sign in at http://127.0.0.1:8000/")
        )
        self.stdout.write(f"Password for every demo account: {DEMO_PASSWORD}")
        rows = [
            (u, ", ".join(str(r.label) for r in roles), m[0][0]) for u, _, _, _, roles, m in PEOPLE
        ]
        rows.append((CERTIFIER[0], str(Role.CERTIFIER.label), "external"))
        for username, roles, department in rows:
            self.stdout.write(f"  {username:<16} {roles:<34} {department}")
