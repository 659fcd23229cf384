"""The body of the build task: claim, build, record the result or why it failed."""

import logging

from celery.exceptions import SoftTimeLimitExceeded
from django.utils.translation import gettext as _

from qms_portal.organisation.history import acting_as
from qms_portal.organisation.models import Person

from . import workflow
from .build import Builder, PackBuildError
from .models import EvidencePack

logger = logging.getLogger(__name__)


def run_build(pack_id, build_number, actor_id=None):
    """Build ``pack_id`` for build ``build_number``; returns what happened, for the task log."""
    actor = Person.objects.filter(pk=actor_id).first() if actor_id else None
    if not workflow.claim_build(pack_id, build_number):
        return {"pack": pack_id, "build": build_number, "result": "not claimed"}
    pack = EvidencePack.objects.select_related("agency", "defined_by").get(pk=pack_id)

    def report(stage, progress):
        workflow.report_progress(pack_id, build_number, stage, progress)

    with acting_as(actor):
        try:
            result = Builder(pack, report=report).run()
            workflow.build_finished(
                pack_id=pack_id, build_number=build_number, result=result, actor=actor
            )
        except SoftTimeLimitExceeded:
            error = _("The build took longer than the time limit and was stopped; retry it.")
        except PackBuildError as problem:
            error = str(problem)
        except Exception as problem:  # noqa: BLE001 - any failure must reach the page, not hang
            logger.exception("evidence pack %s build %s failed", pack_id, build_number)
            error = _(
                "The build failed unexpectedly (%(error)s). Retry it; if it fails again, "
                "tell the administrator."
            ) % {"error": f"{type(problem).__name__}: {problem}"}
        else:
            return {"pack": pack_id, "build": build_number, "result": "ready"}
        workflow.build_failed(pack_id=pack_id, build_number=build_number, error=error, actor=actor)
        return {"pack": pack_id, "build": build_number, "result": "failed", "error": error}
