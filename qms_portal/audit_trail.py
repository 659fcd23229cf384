"""Tamper evidence for the history of signed records: each history row is hash-chained.

A model whose history is declared with ``ChainedHistoricalRecords()`` gets three history columns:
the previous row's hash, its own (``sha256(previous hash + canonical row contents)``) and its place
in the chain. Rows are chained per table, and *sealed after commit*: the change's transaction only
inserts its history rows (so two people signing two documents never wait on one another), and the
moment it commits, :func:`seal` locks the table's chain head for a few milliseconds and chains the
rows that are not sealed yet, in the order it finds them. A beat task seals anything a crash left
behind. ``verify_chains()`` (the ``verify_audit_trail`` command) recomputes every chain in chain
order: a sealed row changed, deleted or inserted behind the portal's back shows.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.apps import apps
from django.db import models, transaction
from django.dispatch import receiver
from django.utils import timezone
from django.utils.crypto import salted_hmac
from simple_history.models import HistoricalRecords
from simple_history.signals import post_create_historical_record, pre_create_historical_record

CHAIN_FIELDS = {"chain_previous", "chain_hash", "chain_position"}
GENESIS = "0" * 64
TOKEN_SALT = "qms_portal.audit_trail.written_by_the_portal"
#: A row the portal wrote but has not sealed for this long means sealing stopped (no beat).
SEAL_GRACE = timedelta(minutes=10)


class HashChainedHistory(models.Model):
    chain_previous = models.CharField(max_length=64, blank=True, editable=False)
    chain_hash = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    #: 1, 2, 3 … in the order rows were sealed; empty until the row is sealed after commit.
    chain_position = models.PositiveBigIntegerField(null=True, editable=False, db_index=True)

    class Meta:
        abstract = True


class TableNamedHistoricalRecords(HistoricalRecords):
    """History whose tables keep their names when the model moves to another app.

    ``table_name`` names the history table, as simple-history allows; the history table of each
    many-to-many field (``m2m_fields``) is named after it, ``<table_name>_<field>``, as it was
    when the app label gave both names (``audits_historicalaudit_processes``).
    """

    def get_meta_options_m2m(self, through_model):
        options = super().get_meta_options_m2m(through_model)
        if self.table_name:
            field_name = through_model._meta.model_name.split("_", 1)[1]  # audit_processes
            options["db_table"] = f"{self.table_name}_{field_name}"
        return options


class ChainedHistoricalRecords(TableNamedHistoricalRecords):
    """History whose rows are hash-chained (``HashChainedHistory``), sealed after commit."""

    def __init__(self, *args, **kwargs):
        kwargs["bases"] = [HashChainedHistory, *kwargs.get("bases", [])]
        super().__init__(*args, **kwargs)


def canonical(row):
    """The row's contents as stable text: every column but its own id and the chain columns."""
    values = {}
    for field in row._meta.concrete_fields:
        if field.name in CHAIN_FIELDS or field.primary_key:
            continue
        value = getattr(row, field.attname)
        if isinstance(value, datetime) and value.tzinfo is not None:
            # As the database gives it back: a time set in +08:00 is read in UTC.
            value = value.astimezone(UTC)
        values[field.attname] = value.isoformat() if hasattr(value, "isoformat") else value
    return json.dumps(values, sort_keys=True, default=str, ensure_ascii=False)


def row_hash(previous, row):
    return hashlib.sha256((previous + canonical(row)).encode()).hexdigest()


def portal_token(row):
    """A keyed mark (HMAC with the portal's secret key) that the portal itself wrote ``row``.

    A history row carries it in ``chain_hash`` from its insert until it is sealed; :func:`seal`
    chains only rows whose mark is right, so a row inserted behind the portal's back is never
    sealed as genuine and ``verify_chains`` reports it."""
    return salted_hmac(TOKEN_SALT, canonical(row), algorithm="sha256").hexdigest()


@receiver(pre_create_historical_record)
def _mark_as_written_by_the_portal(sender, history_instance, using=None, **kwargs):
    if isinstance(history_instance, HashChainedHistory):
        history_instance.chain_previous = ""
        history_instance.chain_hash = portal_token(history_instance)


@receiver(post_create_historical_record)
def _seal_after_commit(sender, history_instance, using=None, **kwargs):
    """Once the change commits, chain its history rows (at once in autocommit mode). ``robust``:
    a seal that fails (a lock timeout) never turns the committed change into an error; the beat
    task seals the row a minute later."""
    if not isinstance(history_instance, HashChainedHistory):
        return
    model = type(history_instance)
    transaction.on_commit(lambda: seal(model, using=using), using=using, robust=True)


def seal(model, *, using=None):
    """Chain the history rows of ``model`` that the portal wrote and are not sealed yet; returns
    how many.

    The chain head is locked only for this short transaction, after the changes committed, so
    writers of different records never queue behind each other's open transactions."""
    from qms_portal.organisation.models import AuditChainHead

    database = using or "default"
    pending = model.objects.using(database).filter(chain_position__isnull=True)
    if not pending.exists():
        return 0
    label = model._meta.label
    with transaction.atomic(using=database):
        AuditChainHead.objects.using(database).get_or_create(table=label)
        head = (
            AuditChainHead.objects.using(database).select_for_update(of=("self",)).get(table=label)
        )
        sealed = 0
        for row in pending.order_by("history_id"):
            if row.chain_hash != portal_token(row):
                continue  # not written by the portal (or changed since): verify reports it
            previous = head.last_hash or GENESIS
            chain_hash = row_hash(previous, row)
            unsealed = model.objects.using(database).filter(pk=row.pk, chain_position__isnull=True)
            position = head.length + 1
            # history-exempt: the chain columns of a history row, written once when it is sealed
            updated = unsealed.update(
                chain_previous=previous, chain_hash=chain_hash, chain_position=position
            )
            if updated != 1:  # only possible if another sealer ignored the head lock
                raise RuntimeError(f"{label} row {row.pk} was sealed twice")
            head.last_hash, head.length = chain_hash, head.length + 1
            sealed += 1
        head.save(update_fields=["last_hash", "length"])
    return sealed


def seal_all(*, using=None):
    """Seal every chained table (the beat task and ``verify_audit_trail`` call this)."""
    return {model._meta.label: seal(model, using=using) for model in chained_models()}


@dataclass
class ChainProblem:
    table: str
    history_id: int | None
    problem: str

    def __str__(self):
        where = f" row {self.history_id}" if self.history_id else ""
        return f"{self.table}{where}: {self.problem}"


def chained_models():
    return [m for m in apps.get_models() if issubclass(m, HashChainedHistory)]


def verify_chain(model):
    """Problems found in one history table's chain (empty when intact), and the rows checked."""
    from qms_portal.organisation.models import AuditChainHead

    label = model._meta.label
    # The head first: rows a seal adds while we read lie beyond its length and wait for next time.
    head = AuditChainHead.objects.filter(table=label).first()
    problems = _unsealed_problems(model, label)
    previous = GENESIS
    count = 0
    sealed = model.objects.filter(chain_position__isnull=False)
    if head is not None:
        sealed = sealed.filter(chain_position__lte=head.length)
    for row in sealed.order_by("chain_position").iterator(chunk_size=2000):
        count += 1
        if row.chain_previous != previous:
            problems.append(
                ChainProblem(
                    label,
                    row.history_id,
                    "the chain is broken before this row (a row removed or inserted)",
                )
            )
        if row.chain_hash != row_hash(row.chain_previous, row):
            problems.append(
                ChainProblem(label, row.history_id, "the row was changed after it was written")
            )
        previous = row.chain_hash
    if head is None and count:
        # Every sealed row is chained under its head: rows without one mean the head was deleted
        # (and with it the row count that shows rows removed from the end).
        problems.append(
            ChainProblem(label, None, f"chain head missing but the table has {count} rows")
        )
    if head and (head.last_hash != (previous if count else "") or head.length != count):
        problems.append(
            ChainProblem(
                label,
                None,
                f"the chain head records {head.length} rows but the table has {count} (rows removed?)",
            )
        )
    return problems, count


def _unsealed_problems(model, label):
    """Rows not sealed yet: without the portal's mark they were written behind its back; with it,
    they are reported only once sealing has been stopped for longer than :data:`SEAL_GRACE`."""
    problems = []
    stale = timezone.now() - SEAL_GRACE
    for row in model.objects.filter(chain_position__isnull=True).order_by("history_id"):
        if row.chain_hash != portal_token(row):
            problems.append(
                ChainProblem(label, row.history_id, "the row was not written by the portal")
            )
        elif row.history_date < stale:
            problems.append(
                ChainProblem(
                    label, row.history_id, "the row has not been sealed (is beat running?)"
                )
            )
    return problems


def verify_chains():
    """Verify every chained history table and every signature table:
    {table: (rows checked, [problems])}."""
    results = {}
    for model in chained_models():
        problems, count = verify_chain(model)
        results[model._meta.label] = (count, problems)
    for model in signature_models():
        problems, count = verify_signatures(model)
        results[model._meta.label] = (count, problems)
    return results


def signature_models():
    from .signatures import SignatureBase

    return [m for m in apps.get_models() if issubclass(m, SignatureBase)]


#: The fields of a signature its digest seals, compared with the (chained) history row.
SIGNATURE_FIELDS = ("signer_id", "printed_name", "meaning", "signed_at", "digest")


def verify_signatures(model):
    """The signature rows themselves, against their digest and their chained history.

    A signature is written once and never changed: each live row must still match its own digest
    and the history row written with it (so an edit that recomputes the digest is caught too), and
    every signature the history says was given must still exist, unless the history records its
    removal through the portal.
    """
    label = model._meta.label
    history = model.history.model
    problems = []
    live = {signature.pk: signature for signature in model._base_manager.all()}
    written = {}
    removed = set()
    for row in history.objects.order_by("history_id"):
        if row.history_type == "-":
            removed.add(row.id)
        else:
            written.setdefault(row.id, row)  # the row written when it was given
    for pk, signature in sorted(live.items()):
        if signature.digest != signature.compute_digest():
            problems.append(
                ChainProblem(label, None, f"signature {pk} no longer matches its digest")
            )
        first = written.get(pk)
        if first is None:
            problems.append(ChainProblem(label, None, f"signature {pk} has no history"))
        elif any(getattr(first, f) != getattr(signature, f) for f in SIGNATURE_FIELDS):
            problems.append(
                ChainProblem(label, None, f"signature {pk} differs from the one recorded")
            )
    for pk in sorted(set(written) - set(live) - removed):
        problems.append(ChainProblem(label, None, f"signature {pk} was removed"))
    return problems, len(live)
