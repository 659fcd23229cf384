"""Tamper evidence: history rows of signed records are hash-chained and verified."""

import threading
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connections

from documents.models import Revision, Signature
from qms_portal.audit_trail import chained_models, seal_all, verify_chains
from tests.documents.conftest import draft_document, make_effective


@pytest.fixture
def signed(settings, tmp_path, owner, department_a, colleague, quality_manager):
    settings.MEDIA_ROOT = tmp_path / "media"
    document = draft_document(owner, department_a)
    revision = make_effective(
        document.revisions.get(), reviewer=colleague, approver=quality_manager
    )
    seal_all()  # what the commit would do; these tests run inside one transaction
    return revision


def problems():
    return [str(p) for _count, found in verify_chains().values() for p in found]


@pytest.mark.django_db
def test_signed_records_have_chained_history(signed):
    labels = {m._meta.label for m in chained_models()}
    assert {
        "documents.HistoricalRevision",
        "documents.HistoricalSignature",
        "documents.HistoricalDocument",
    } <= labels
    results = verify_chains()
    assert results["documents.HistoricalRevision"][0] >= 4
    assert problems() == []
    out = StringIO()
    call_command("verify_audit_trail", stdout=out)
    assert "documents.HistoricalRevision" in out.getvalue() and "intact" in out.getvalue()


@pytest.mark.django_db
def test_a_row_changed_behind_the_portals_back_is_reported(signed):
    History = Revision.history.model
    row = History.objects.order_by("history_id")[1]
    History.objects.filter(pk=row.pk).update(change_summary="quietly rewritten")
    assert problems() == [
        f"documents.HistoricalRevision row {row.pk}: the row was changed after it was written"
    ]
    with pytest.raises(CommandError, match="1 problems"):
        call_command("verify_audit_trail", stdout=StringIO())


@pytest.mark.django_db
def test_a_deleted_row_breaks_the_chain(signed):
    History = Signature.history.model
    first, second = History.objects.order_by("history_id")[:2]
    History.objects.filter(pk=first.pk).delete()
    assert problems() == [
        f"documents.HistoricalSignature row {second.pk}: the chain is broken before this row (a row removed or inserted)",
        "documents.HistoricalSignature: the chain head records 2 rows but the table has 1 (rows removed?)",
        f"documents.Signature: signature {first.id} has no history",
    ]


@pytest.mark.django_db
def test_removing_the_last_rows_is_noticed(signed):
    History = Signature.history.model
    last = History.objects.order_by("-history_id").first()
    last.delete()
    found = problems()
    assert len(found) == 2 and "rows removed" in found[0]
    assert found[1] == f"documents.Signature: signature {last.id} has no history"


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_chain(settings, tmp_path, owner, department_a):
    settings.MEDIA_ROOT = tmp_path / "media"
    documents = [draft_document(owner, department_a, title=f"Doc {n}") for n in range(6)]
    barrier = threading.Barrier(len(documents))

    def retitle(document):
        """Saves in autocommit mode, as a management command or a shell would."""
        barrier.wait()
        try:
            for round_number in range(1, 11):
                document.title = f"{document.title.split(' (')[0]} (revision {round_number})"
                document.save()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=retitle, args=(d,)) for d in documents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    History = documents[0].history.model
    assert History.objects.filter(title__endswith="(revision 10)").count() == len(documents)
    assert problems() == []


@pytest.mark.django_db
def test_the_demo_agency_audit_trail_is_intact(settings, tmp_path):
    """A fresh install passes its own tamper check: ``seed_demo`` then ``verify_audit_trail``
    (both CI passes run it: SQLite and PostgreSQL; the demo's pack shares once hashed a datetime
    in +08:00 and read it back in UTC)."""
    from qms_portal.chain_seal import latest_head, published_form

    settings.MEDIA_ROOT = tmp_path / "media"
    seeded = StringIO()
    call_command("seed_demo", stdout=seeded)
    published = published_form(latest_head())  # the demo publishes one, as beat would nightly
    assert f"Audit-trail chain head (transparency page): {published}" in seeded.getvalue()
    report = StringIO()
    call_command("verify_audit_trail", "--against", published, stdout=report)  # raises if not
    assert "problems" not in report.getvalue()
    assert "nothing was rewritten since" in report.getvalue()
    assert "packs.HistoricalPackShare" in report.getvalue()
    results = verify_chains()
    assert sum(count for count, _problems in results.values()) > 50
    assert problems() == []


@pytest.mark.django_db
def test_deleting_the_last_rows_and_the_chain_head_is_noticed(signed):
    from qms_portal.organisation.models import AuditChainHead

    History = Signature.history.model
    last = History.objects.order_by("-history_id").first()
    last.delete()
    AuditChainHead.objects.filter(table="documents.HistoricalSignature").delete()
    assert problems() == [
        "documents.HistoricalSignature: chain head missing but the table has 1 rows",
        f"documents.Signature: signature {last.id} has no history",
    ]


@pytest.mark.django_db(transaction=True)
def test_history_rows_are_sealed_when_the_change_commits(settings, tmp_path, owner, department_a):
    settings.MEDIA_ROOT = tmp_path / "media"
    document = draft_document(owner, department_a)
    History = document.history.model
    assert History.objects.filter(chain_position__isnull=True).count() == 0
    positions = list(
        History.objects.order_by("chain_position").values_list("chain_position", flat=True)
    )
    assert positions == list(range(1, len(positions) + 1))
    assert problems() == []


@pytest.mark.django_db
def test_rows_a_crash_left_unsealed_are_sealed_by_the_beat_task_and_the_command(signed, colleague):
    from qms_portal.organisation.tasks import seal_audit_trail

    document = signed.document
    document.title = "Retitled before a crash"
    document.save()  # inside the test's transaction: no commit, so not sealed yet
    History = document.history.model
    assert History.objects.filter(chain_position__isnull=True).count() == 1
    assert seal_audit_trail() == 1
    assert History.objects.filter(chain_position__isnull=True).count() == 0
    document.title = "Retitled again"
    document.save()
    out = StringIO()
    call_command("verify_audit_trail", stdout=out)
    assert "documents.HistoricalDocument: sealed 1 rows" in out.getvalue()
    assert problems() == []


@pytest.mark.django_db
def test_a_sealed_row_moved_in_the_chain_is_reported(signed):
    History = Revision.history.model
    first, second = History.objects.order_by("chain_position")[:2]
    History.objects.filter(pk=first.pk).update(chain_position=10_000)
    assert any("chain is broken" in problem for problem in problems())


@pytest.mark.django_db
def test_a_history_row_inserted_behind_the_portals_back_is_never_sealed_as_genuine(signed):
    from qms_portal.audit_trail import seal

    History = Revision.history.model
    genuine = History.objects.order_by("chain_position").last()
    forged = History.objects.get(pk=genuine.pk)
    forged.pk = forged.history_id = None
    forged.change_summary = "approved by nobody"
    forged.chain_hash, forged.chain_position = "", None
    History.objects.bulk_create([forged])  # straight into the table, as SQL would
    assert seal(History) == 0
    assert History.objects.filter(chain_position__isnull=True).count() == 1
    assert problems() == [
        f"documents.HistoricalRevision row {History.objects.latest('history_id').pk}: "
        "the row was not written by the portal"
    ]


@pytest.mark.django_db
def test_a_row_changed_before_it_was_sealed_is_reported_not_sealed(signed):
    document = signed.document
    document.title = "Awaiting its seal"
    document.save()  # inside the test's transaction: written, not yet sealed
    History = document.history.model
    pending = History.objects.get(chain_position__isnull=True)
    History.objects.filter(pk=pending.pk).update(title="Quietly changed")
    assert seal_all()["documents.HistoricalDocument"] == 0
    assert problems() == [
        f"documents.HistoricalDocument row {pending.pk}: the row was not written by the portal"
    ]


@pytest.mark.django_db
def test_a_row_left_unsealed_for_long_is_reported(signed):
    from datetime import timedelta

    from django.utils import timezone

    from qms_portal.audit_trail import portal_token

    document = signed.document
    document.title = "Sealing stopped"
    document.save()
    History = document.history.model
    pending = History.objects.get(chain_position__isnull=True)
    assert problems() == []  # fresh: the commit or the beat task seals it
    pending.history_date = timezone.now() - timedelta(hours=1)  # written by the portal an hour ago
    History.objects.filter(pk=pending.pk).update(
        history_date=pending.history_date, chain_hash=portal_token(pending)
    )
    assert problems() == [
        f"documents.HistoricalDocument row {pending.pk}: "
        "the row has not been sealed (is beat running?)"
    ]


@pytest.mark.django_db
def test_a_signature_edited_behind_the_portals_back_is_reported_even_with_a_fresh_digest(signed):
    """The signature tables themselves are checked, not only their history: a printed name
    rewritten with its digest recomputed still differs from the signature the history recorded."""
    signature = Signature.objects.get(meaning="approved")
    signature.printed_name = "Somebody Else"
    signature.digest = signature.compute_digest()
    Signature.objects.filter(pk=signature.pk).update(
        printed_name=signature.printed_name, digest=signature.digest
    )
    assert problems() == [
        f"documents.Signature: signature {signature.pk} differs from the one recorded"
    ]
    with pytest.raises(CommandError, match="1 problems"):
        call_command("verify_audit_trail", stdout=StringIO())


@pytest.mark.django_db
def test_a_signature_whose_digest_no_longer_matches_is_reported(signed):
    signature = Signature.objects.get(meaning="approved")
    Signature.objects.filter(pk=signature.pk).update(
        signed_at=signature.signed_at.replace(year=2020)
    )
    assert (
        f"documents.Signature: signature {signature.pk} no longer matches its digest" in problems()
    )


@pytest.mark.django_db
def test_a_signature_deleted_behind_the_portals_back_is_reported(signed):
    signature = Signature.objects.get(meaning="reviewed")
    Signature.objects.filter(pk=signature.pk)._raw_delete("default")  # no history row
    assert problems() == [f"documents.Signature: signature {signature.pk} was removed"]
