"""Demo records of audits and the apps it holds, for ``seed_demo``: audits, then nonconformities and
actions (some raised by those audits), a management review, then the self-assessment and an
evidence pack that cite them. Each part is created through the workflow functions, in the names
of the demo people, so the history reads like real use. Idempotent: a seeded agency is left alone.
"""

from assessment import demo as assessment_demo

from .auditing import demo as auditing_demo
from .auditing.models import AuditProgramme
from .capa import demo as capa_demo
from .packs import demo as packs_demo
from .review import demo as review_demo


def seed(*, agency, people, stdout):
    _seed_audits(agency=agency, people=people, stdout=stdout)
    assessment_demo.seed(agency=agency, people=people, stdout=stdout)
    packs_demo.seed(agency=agency, people=people, stdout=stdout)


def _seed_audits(*, agency, people, stdout):
    if AuditProgramme.objects.filter(agency=agency).exists():
        return
    from qms_portal.organisation.management.commands.seed_demo import DEMO_PASSWORD

    ctx = auditing_demo.seed(agency=agency, people=people, password=DEMO_PASSWORD)
    capa_demo.seed(ctx, agency)
    review_demo.seed(ctx, agency, DEMO_PASSWORD)
    stdout.write("  audits: 2 programmes, 5 audits, nonconformities in every state, 1 review")
