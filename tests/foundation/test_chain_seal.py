"""Anchoring the audit trail: sealed chain heads, published, and checked with ``--against``.

The attack these tests stage is the one the hash chain alone cannot see: someone with database
access edits a history row, recomputes every hash after it and the chain head. The plain check
then reports the chain intact; the published head, sealed with a key outside the database, does
not match any more.
"""

import json
import stat
from io import StringIO

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.urls import reverse

from documents.models import Revision
from qms_portal.audit_trail import GENESIS, row_hash, seal_all, verify_chains
from qms_portal.celery import app
from qms_portal.chain_seal import issue_head, published_form, seal_key
from qms_portal.organisation.models import AuditChainHead, SealedChainHead
from tests.documents.conftest import draft_document, make_effective

REVISIONS = "documents.HistoricalRevision"


@pytest.fixture
def signed(settings, tmp_path, owner, department_a, colleague, quality_manager):
    settings.MEDIA_ROOT = tmp_path / "media"
    document = draft_document(owner, department_a)
    revision = make_effective(
        document.revisions.get(), reviewer=colleague, approver=quality_manager
    )
    seal_all()  # what the commit would do; these tests run inside one transaction
    return revision


def verify(*args):
    out = StringIO()
    call_command("verify_audit_trail", *args, stdout=out)
    return out.getvalue()


def rewrite_and_recompute(model, change):
    """The attack: change one sealed row, then recompute every hash after it and the chain head,
    exactly as the portal would have computed them — all the attacker needs is database access."""
    history = model.history.model
    first = history.objects.filter(chain_position__isnull=False).order_by("chain_position")[0]
    # history-exempt: the attack under test
    history.objects.filter(pk=first.pk).update(**change)
    previous = GENESIS
    for row in history.objects.filter(chain_position__isnull=False).order_by("chain_position"):
        chain_hash = row_hash(previous, row)
        # history-exempt: the attack under test
        history.objects.filter(pk=row.pk).update(chain_previous=previous, chain_hash=chain_hash)
        previous = chain_hash
    # history-exempt: the attack under test
    AuditChainHead.objects.filter(table=history._meta.label).update(last_hash=previous)


@pytest.mark.django_db
def test_a_rewrite_with_recomputed_hashes_is_caught_against_the_published_head(signed):
    head = issue_head("published for the test")
    assert verify("--against", published_form(head)).count("nothing was rewritten since") == 1

    rewrite_and_recompute(Revision, {"change_summary": "quietly rewritten"})

    # The chain alone cannot tell: every hash is consistent again.
    assert all(not problems for _count, problems in verify_chains().values())
    assert "problems" not in verify()
    # The published head can.
    with pytest.raises(CommandError, match="1 problems"):
        verify("--against", published_form(head))
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("verify_audit_trail", "--against", published_form(head), stdout=out)
    assert f"{REVISIONS} row" in out.getvalue()
    assert "rewritten since it was published" in out.getvalue()


@pytest.mark.django_db
def test_records_added_after_publication_still_verify(signed, owner, department_a):
    head = issue_head("published for the test")
    draft_document(owner, department_a, title="Written after the head")
    seal_all()
    assert (
        AuditChainHead.objects.get(table="documents.HistoricalDocument").length
        > json.loads(head.statement)["tables"]["documents.HistoricalDocument"][0]
    )
    assert "nothing was rewritten since" in verify("--against", published_form(head))


@pytest.mark.django_db
def test_rows_removed_below_the_published_length_are_caught(signed):
    head = issue_head("published for the test")
    history = Revision.history.model
    last = history.objects.order_by("-chain_position").first()
    last.delete()
    # history-exempt: the attack under test (the head shortened to match)
    AuditChainHead.objects.filter(table=REVISIONS).update(
        length=last.chain_position - 1, last_hash=last.chain_previous
    )
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("verify_audit_trail", "--against", published_form(head), stdout=out)
    assert "shorter than the" in out.getvalue()


@pytest.mark.django_db
def test_the_statement_cannot_be_rewritten_to_match(signed):
    """Rewriting the recorded statement too (to the recomputed hashes) breaks its seal."""
    head = issue_head("published for the test")
    rewrite_and_recompute(Revision, {"change_summary": "quietly rewritten"})
    statement = json.loads(head.statement)
    statement["tables"][REVISIONS][1] = AuditChainHead.objects.get(table=REVISIONS).last_hash
    # history-exempt: the attack under test
    SealedChainHead.objects.filter(pk=head.pk).update(
        statement=json.dumps(statement, sort_keys=True, separators=(",", ":"))
    )
    with pytest.raises(CommandError, match="seal does not match"):
        verify("--against", published_form(head))


@pytest.mark.django_db
def test_a_head_from_another_key_or_made_up_is_refused(signed, settings):
    head = issue_head("published for the test")
    published = published_form(head)
    settings.QMS_CHAIN_SEAL_KEY = "another-portal-" + "z" * 40
    with pytest.raises(CommandError, match="seal does not match"):
        verify("--against", published)
    with pytest.raises(CommandError, match="No statement with this seal"):
        verify("--against", published[:-4] + "0000")
    with pytest.raises(CommandError, match="is not a published chain head"):
        verify("--against", "QMSH1-yesterday")
    with pytest.raises(CommandError, match="needs --against"):
        verify("--statement", "manifest.json")


@pytest.mark.django_db
def test_the_statement_kept_by_a_third_party_is_enough(signed, tmp_path):
    """The copy in a pack's manifest checks the portal even when the database lost its own."""
    head = issue_head("evidence pack EP-TEST")
    manifest = tmp_path / "manifest.json"
    manifest.write_text(
        json.dumps({"chain_head": {"statement": json.loads(head.statement)}}), encoding="utf-8"
    )
    published = published_form(head)
    SealedChainHead.objects.filter(pk=head.pk).delete()  # history-exempt: the attack under test
    with pytest.raises(CommandError, match="No statement with this seal"):
        verify("--against", published)
    assert "nothing was rewritten since" in verify(
        "--against", published, "--statement", str(manifest)
    )
    rewrite_and_recompute(Revision, {"change_summary": "quietly rewritten"})
    with pytest.raises(CommandError, match="1 problems"):
        verify("--against", published, "--statement", str(manifest))
    manifest.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="Cannot read the statement"):
        verify("--against", published, "--statement", str(manifest))


@pytest.mark.django_db
def test_a_head_issued_under_a_key_is_issued_once(signed):
    first = issue_head("evidence pack EP-1", key="pack:1")
    again = issue_head("evidence pack EP-1", key="pack:1")
    other = issue_head("evidence pack EP-2", key="pack:2")
    assert again.pk == first.pk and other.pk != first.pk
    assert published_form(first).startswith("QMSH1-") and len(published_form(first)) == 6 + 16 + 65


def test_the_key_file_is_made_once_and_kept_private(settings, tmp_path):
    settings.QMS_CHAIN_SEAL_KEY = ""
    settings.QMS_CHAIN_SEAL_KEY_FILE = tmp_path / "keys" / "chain_seal_key"
    key = seal_key()
    assert seal_key() == key and len(key) == 64
    assert stat.S_IMODE(settings.QMS_CHAIN_SEAL_KEY_FILE.stat().st_mode) == 0o600
    settings.QMS_CHAIN_SEAL_KEY = "too-short"
    with pytest.raises(ImproperlyConfigured, match="at least 32 characters"):
        seal_key()


@pytest.mark.django_db
def test_the_transparency_page_publishes_the_latest_head(client, signed, department_a):
    issue_head("daily publication")
    latest = issue_head("daily publication, a second later")
    page = client.get(reverse("transparency:agency", kwargs={"code": department_a.agency.code}))
    assert page.status_code == 200
    assert published_form(latest) in page.content.decode()
    statement = client.get(
        reverse("transparency:chain_head_statement", kwargs={"seal": latest.seal})
    )
    assert statement.status_code == 200 and statement["Content-Type"].startswith("application/json")
    assert statement.content.decode() == latest.statement
    missing = client.get(reverse("transparency:chain_head_statement", kwargs={"seal": "0" * 64}))
    assert missing.status_code == 404


def test_beat_publishes_a_head_every_day():
    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "qms_portal.organisation.tasks.publish_chain_head" in tasks


@pytest.mark.django_db
def test_the_publish_command_prints_the_head(signed):
    out = StringIO()
    call_command("publish_chain_head", stdout=out)
    head = SealedChainHead.objects.get()
    assert out.getvalue().strip() == published_form(head)
    assert "nothing was rewritten since" in verify("--against", out.getvalue().strip())
