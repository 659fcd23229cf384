"""The approved self-assessment is a section of the evidence pack and evidence for clause 4.1."""

from datetime import date

import pytest

from assessment.models import Level
from tests.assessment.world import approve, assessment  # noqa: F401,F811 - fixture
from tests.audits.packs.conftest import define, pdf_pages_text

pytestmark = pytest.mark.django_db


def test_the_pack_prints_the_latest_approved_assessment(
    quality_manager,
    owner,
    department_a,
    records,
    assessment,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    approve(assessment, quality_manager, owner, levels={"G09": Level.RED})
    with django_capture_on_commit_callbacks(execute=True):
        pack = define(
            quality_manager,
            departments=[department_a],
            period_start=date(2025, 1, 1),
            period_end=date(2025, 12, 31),
            sections=["assessment"],
        )
    pack.refresh_from_db()
    assert pack.status == pack.Status.READY, pack.error
    text = " ".join(pdf_pages_text(pack))
    assert "Local-government self-assessment" in text
    assert "2025" in text and "G09" in text
    from audits.packs.content import gather

    matrix = {row.clause.number: row for row in gather(pack)["matrix"]}
    assert matrix["4.1"].evidence, "the assessment evidences clause 4.1"
