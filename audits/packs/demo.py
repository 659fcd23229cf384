"""The demo agency's evidence pack for ``seed_demo``: the whole agency since the start of last
year, every section, built once the seed has committed (so the service requests seeded after the
audits are in it) and shared with the demo certifier for 90 days. Idempotent: an agency that has
a pack is left alone."""

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from . import build, workflow
from .models import EvidencePack


def seed(*, agency, people, stdout):
    if EvidencePack.objects.filter(agency=agency).exists():
        return
    qm, certifier = people["qm.li"], people["certifier.smith"]
    today = timezone.localdate()
    pack = workflow.pack_define(
        actor=qm,
        agency=agency,
        title=f"{today.year} 认证审核证据包 Certification evidence pack",
        period_start=date(today.year - 1, 1, 1),
        period_end=today,
    )
    transaction.on_commit(lambda: _build_and_share(pack.pk, qm, certifier, stdout))
    stdout.write(f"  evidence pack {pack.reference}: built after the seed, shared with {certifier}")


def _build_and_share(pack_id, qm, certifier, stdout):
    """Build now (a no-op if the outbox already did) and share with the demo certifier."""
    pack = EvidencePack.objects.get(pk=pack_id)
    build.run_build(pack.pk, pack.build_number, qm.pk)
    pack.refresh_from_db()
    if pack.status != EvidencePack.Status.READY:
        stdout.write(f"  evidence pack {pack.reference} not built yet: {pack.error or pack.status}")
        return
    workflow.pack_share(
        pack=pack,
        actor=qm,
        certifier=certifier,
        expires_on=timezone.localdate() + timedelta(days=90),
    )
