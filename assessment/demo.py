"""Demo self-assessments for ``seed_demo``: the last two years, approved and signed, the later one
with improvement actions for its red indicators, and the agency's public page publishing it.
Created through the workflow functions in the names of the demo people. Idempotent: an agency
with a self-assessment is left alone.
"""

from django.utils import timezone

from . import workflow
from .catalogue import load_catalogue
from .models import Level, SelfAssessment

#: Levels by judgement, cycling over the indicators without portal data (earlier year first).
PATTERNS = {
    0: [Level.YELLOW, Level.GREEN, Level.RED, Level.YELLOW, Level.GREEN, Level.YELLOW],
    1: [Level.GREEN, Level.GREEN, Level.YELLOW, Level.GREEN, Level.RED, Level.GREEN],
}
REASONS = {
    Level.GREEN: "达到要求，记录完整。 Meets the expectation; records are complete.",
    Level.YELLOW: "基本达到，仍有改进空间。 Minimum reached; gaps remain in follow-up.",
    Level.RED: "未达到要求，需制定改进措施。 Not reached; an improvement plan is needed.",
}

POLICY_ZH = "依法行政、便民高效、持续改进：按承诺时限为市民和企业提供公开、透明、满意的服务。"
POLICY_EN = (
    "Lawful, convenient and efficient, always improving: we serve citizens and businesses "
    "openly and within the time we promise."
)


def seed(*, agency, people, stdout):
    if SelfAssessment.objects.filter(agency=agency).exists():
        return
    from qms_portal.organisation.management.commands.seed_demo import DEMO_PASSWORD

    load_catalogue(agency.pk)
    qm, approver = people["qm.li"], people["staff.sun"]
    year = timezone.localdate().year
    for index, assessed_year in enumerate([year - 2, year - 1]):
        assessment = workflow.assessment_create(
            actor=qm, agency=agency, year=assessed_year, approver=approver
        )
        _assess(assessment, qm, PATTERNS[index])
        workflow.assessment_submit(assessment=assessment, actor=qm)
        workflow.assessment_approve(assessment=assessment, signer=approver, password=DEMO_PASSWORD)
    workflow.assessment_raise_actions(assessment=assessment, actor=qm)
    workflow.transparency_update(
        agency=agency,
        actor=qm,
        publish_self_assessment=True,
        statement_zh=POLICY_ZH,
        statement_en=POLICY_EN,
    )
    stdout.write("  self-assessment: 2 approved years, improvement actions, public page published")


def _assess(assessment, actor, pattern):
    judged = 0
    for result in assessment.results.select_related("indicator").order_by("indicator__position"):
        if result.proposed_level:
            level = result.proposed_level
        else:
            level = pattern[judged % len(pattern)]
            judged += 1
        workflow.result_record(result=result, actor=actor, level=level, reasons=REASONS[level])
