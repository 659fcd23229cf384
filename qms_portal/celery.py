"""The Celery application. Tasks are queued only after the surrounding transaction commits.

Without REDIS_URL the settings make every task run eagerly in-process (the embedded default).
"""

import os

from celery import Celery
from celery.schedules import crontab
from celery.signals import task_failure

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qms_portal.settings")

app = Celery("qms_portal", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_failure.connect
def _tell_the_outbox(task_id=None, exception=None, **kwargs):
    """A task the outbox published failed in this worker: the outbox backs off and retries it, or
    sets it aside after too many failures (``qms_portal.outbox``)."""
    from qms_portal import outbox

    outbox.record_worker_failure(task_id, exception)


# The beat schedule lives in code, so every deployment runs the same reminders.
app.conf.beat_schedule = {
    "publish-outbox": {
        "task": "qms_portal.organisation.tasks.publish_outbox",
        "schedule": 60.0,
    },
    "seal-audit-trail": {
        "task": "qms_portal.organisation.tasks.seal_audit_trail",
        "schedule": 60.0,
    },
    "publish-chain-head": {
        "task": "qms_portal.organisation.tasks.publish_chain_head",
        "schedule": crontab(hour=0, minute=30),
    },
    "redeliver-pending-notifications": {
        "task": "qms_portal.organisation.tasks.redeliver_pending_notifications",
        "schedule": crontab(minute="*/10"),
    },
    "documents-make-due-revisions-effective": {
        "task": "documents.tasks.make_due_revisions_effective",
        "schedule": crontab(hour=0, minute=5),
    },
    "documents-review-reminders": {
        "task": "documents.tasks.send_review_reminders",
        "schedule": crontab(hour=7, minute=0),
    },
    "documents-acknowledgement-reminders": {
        "task": "documents.tasks.send_acknowledgement_reminders",
        "schedule": crontab(hour=7, minute=15),
    },
    "processes-remind-overdue-measurements": {
        "task": "processes.tasks.remind_overdue_measurements",
        "schedule": crontab(hour=8, minute=15),
    },
    "services-deadline-reminders": {
        "task": "services.tasks.send_deadline_reminders",
        "schedule": crontab(hour=7, minute=30),
    },
    "audits-remind-overdue-actions": {
        "task": "audits.capa.tasks.remind_overdue_actions",
        "schedule": crontab(hour=7, minute=45),
    },
    "audits-recover-stale-pack-builds": {
        "task": "audits.packs.tasks.recover_stale_pack_builds",
        "schedule": 30.0,
    },
    "audits-expire-evidence-pack-shares": {
        "task": "audits.packs.tasks.expire_evidence_pack_shares",
        "schedule": crontab(minute="*/15"),
    },
}
