"""Tamper evidence for the history of signed records: each history row is hash-chained.

A model whose history is declared with ``ChainedHistoricalRecords()`` gets two history columns:
the previous row's hash and its own, ``sha256(previous hash + canonical row contents)``. Rows are
chained per table, in the order they were written; a chain head row, locked from before the row's
hash is computed until the transaction that inserts the row commits, keeps concurrent writers from
forking the chain or inserting rows in an order other than the chain's. ``verify_chains()`` (the
``verify_audit_trail`` command) recomputes every chain: a row changed, deleted or inserted behind
the portal's back shows.
"""

import hashlib
import json
from dataclasses import dataclass

from django.apps import apps
from django.db import models, transaction
from django.dispatch import receiver
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

CHAIN_FIELDS = {"chain_previous", "chain_hash"}
GENESIS = "0" * 64


class HashChainedHistory(models.Model):
    chain_previous = models.CharField(max_length=64, blank=True, editable=False)
    chain_hash = models.CharField(max_length=64, blank=True, editable=False, db_index=True)

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
    """History whose rows are hash-chained (``HashChainedHistory``).

    The history row is written inside a transaction (the caller's, or one of its own when the
    change was saved in autocommit mode), so the chain head locked by ``_chain_history_row`` stays
    locked until the row is in the table: the next writer waits, then chains onto this row and gets
    a later ``history_id``.
    """

    def __init__(self, *args, **kwargs):
        kwargs["bases"] = [HashChainedHistory, *kwargs.get("bases", [])]
        super().__init__(*args, **kwargs)

    def create_historical_record(self, instance, history_type, using=None):
        database = using if self.use_base_model_db else None
        with transaction.atomic(using=database, savepoint=False):
            super().create_historical_record(instance, history_type, using=using)


def canonical(row):
    """The row's contents as stable text: every column but its own id and the chain columns."""
    values = {}
    for field in row._meta.concrete_fields:
        if field.name in CHAIN_FIELDS or field.primary_key:
            continue
        value = getattr(row, field.attname)
        values[field.attname] = value.isoformat() if hasattr(value, "isoformat") else value
    return json.dumps(values, sort_keys=True, default=str, ensure_ascii=False)


def row_hash(previous, row):
    return hashlib.sha256((previous + canonical(row)).encode()).hexdigest()


@receiver(pre_create_historical_record)
def _chain_history_row(sender, history_instance, using=None, **kwargs):
    if not isinstance(history_instance, HashChainedHistory):
        return
    from qms_portal.organisation.models import AuditChainHead

    if not transaction.get_connection(using).in_atomic_block:
        raise RuntimeError(
            f"{history_instance._meta.label} is hash-chained: declare it with "
            "ChainedHistoricalRecords, which writes the row while the chain head is locked."
        )
    label = history_instance._meta.label
    AuditChainHead.objects.using(using).get_or_create(table=label)
    head = AuditChainHead.objects.using(using).select_for_update().get(table=label)
    history_instance.chain_previous = head.last_hash or GENESIS
    history_instance.chain_hash = row_hash(history_instance.chain_previous, history_instance)
    head.last_hash = history_instance.chain_hash
    head.length += 1
    head.save(update_fields=["last_hash", "length"])


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
    """Problems found in one history table's chain (empty when intact)."""
    from qms_portal.organisation.models import AuditChainHead

    label = model._meta.label
    problems = []
    previous = GENESIS
    count = 0
    for row in model.objects.order_by("history_id").iterator(chunk_size=2000):
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
    head = AuditChainHead.objects.filter(table=label).first()
    if head is None and count:
        # Every chained row is written under its head: rows without one mean the head was deleted
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


def verify_chains():
    """Verify every chained history table: {table: (rows checked, [problems])}."""
    results = {}
    for model in chained_models():
        problems, count = verify_chain(model)
        results[model._meta.label] = (count, problems)
    return results
