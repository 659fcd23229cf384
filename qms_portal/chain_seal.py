"""Anchoring the audit trail outside the database: sealed, published chain heads.

The hash chains (``qms_portal.audit_trail``) show any row changed behind the portal's back, unless
the person with database access also recomputes every later hash and the chain head. To catch
that, the portal publishes its chain heads: a *statement* lists, for every chained table, how many
rows its chain had and the hash of the last one; the statement is sealed with HMAC-SHA256 under a
key that lives outside the database (``QMS_CHAIN_SEAL_KEY`` or the key file
``QMS_CHAIN_SEAL_KEY_FILE``). The short published form ``QMSH1-<UTC time>-<seal>`` goes where
other people keep it: each evidence pack's cover and manifest, and the public transparency page.

:func:`verify_against` then checks, for a published head: the seal is this portal's (nobody
without the key can make one), the statement is the one sealed (from the database, or the copy in
a pack's manifest), and each table's chain still has, at the published length, the published hash.
Rewriting any earlier row changes every hash after it, so a rewrite since publication shows even
when the attacker recomputed the chain and its head.
"""

import hashlib
import hmac
import json
import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.utils import timezone

from .audit_trail import ChainProblem, chained_models, seal_all

FORMAT = "qms-chain-head/1"
PUBLISHED = re.compile(r"^QMSH1-(\d{8}T\d{6}Z)-([0-9a-f]{64})$")
MINIMUM_KEY_CHARACTERS = 32


def seal_key():
    """The sealing key: ``QMS_CHAIN_SEAL_KEY``, or the key file (made once, readable only by the
    portal's user, where none exists yet — the embedded default)."""
    if settings.QMS_CHAIN_SEAL_KEY:
        key = settings.QMS_CHAIN_SEAL_KEY
    else:
        path = settings.QMS_CHAIN_SEAL_KEY_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        try:  # O_EXCL: two processes starting together never write two different keys
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(descriptor, "w") as key_file:
                key_file.write(secrets.token_hex(32))
        key = path.read_text().strip()
    if len(key) < MINIMUM_KEY_CHARACTERS:
        raise ImproperlyConfigured(
            f"The chain seal key must have at least {MINIMUM_KEY_CHARACTERS} characters."
        )
    return key.encode()


def seal_of(statement):
    return hmac.new(seal_key(), statement.encode(), hashlib.sha256).hexdigest()


def published_form(head):
    """What third parties keep: ``QMSH1-20261202T093000Z-<64 hex>``."""
    issued = head.issued_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"QMSH1-{issued}-{head.seal}"


def current_statement(issued_at, occasion):
    """Every chained table's head now, as canonical JSON text (sorted, no spaces)."""
    from .organisation.models import AuditChainHead

    labels = {model._meta.label for model in chained_models()}
    tables = {
        head.table: [head.length, head.last_hash]
        for head in AuditChainHead.objects.filter(table__in=labels).order_by("table")
    }
    for label in labels - set(tables):
        tables[label] = [0, ""]
    statement = {
        "format": FORMAT,
        "issued_at": issued_at.astimezone(UTC).isoformat(timespec="seconds"),
        "occasion": occasion,
        "tables": dict(sorted(tables.items())),
    }
    return json.dumps(statement, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def issue_head(occasion, *, key=None):
    """Seal what is waiting to be sealed, then record and return a sealed head of every chain.

    With ``key``, the head already issued under that key is returned instead, if there is one."""
    from .organisation.models import SealedChainHead

    if key is not None:
        existing = SealedChainHead.objects.filter(key=key).first()
        if existing is not None:
            return existing
    seal_all()
    occasion = occasion[:200]
    issued_at = timezone.now().replace(microsecond=0)
    statement = current_statement(issued_at, occasion)
    head = SealedChainHead(
        issued_at=issued_at,
        occasion=occasion,
        key=key,
        statement=statement,
        seal=seal_of(statement),
    )
    try:
        with transaction.atomic():
            head.save()
    except IntegrityError:  # the same head issued at the same moment elsewhere: that one holds
        return (
            SealedChainHead.objects.get(key=key)
            if key
            else SealedChainHead.objects.get(seal=head.seal)
        )
    return head


def latest_head():
    from .organisation.models import SealedChainHead

    return SealedChainHead.objects.order_by("-issued_at", "-pk").first()


def manifest_entry(head):
    """The sealed head as an evidence pack's manifest keeps it: the published form and the full
    statement, so the pack alone is enough to check the portal later."""
    return {
        "published": published_form(head),
        "statement": json.loads(head.statement),
        "note": "verify with: manage.py verify_audit_trail --against <published> "
        "[--statement <this manifest>]",
    }


class HeadNotRecognised(Exception):
    """The published head given cannot be checked at all (malformed, unknown, or forged)."""


@dataclass
class HeadCheck:
    published: str
    issued_at: str
    tables: int
    problems: list


def statement_from_file(path):
    """The statement in a file: a pack's manifest (``chain_head.statement``) or the bare JSON."""
    with open(path, encoding="utf-8") as source:
        data = json.load(source)
    if isinstance(data, dict) and "chain_head" in data:
        data = data["chain_head"]["statement"]
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def verify_against(published, *, statement=None):
    """Check the chains against a published head; :class:`HeadCheck` (problems empty if none was
    rewritten since). Raises :class:`HeadNotRecognised` for a head that is not this portal's."""
    from .organisation.models import SealedChainHead

    match = PUBLISHED.match(published.strip())
    if not match:
        raise HeadNotRecognised(
            f"{published!r} is not a published chain head (QMSH1-<UTC time>-<64 hex digits>)."
        )
    seal = match.group(2)
    if statement is None:
        recorded = SealedChainHead.objects.filter(seal=seal).first()
        if recorded is None:
            raise HeadNotRecognised(
                "No statement with this seal is in the database (removed?). Give the copy from "
                "the evidence pack's manifest with --statement."
            )
        statement = recorded.statement
    if not hmac.compare_digest(seal_of(statement), seal):
        raise HeadNotRecognised(
            "The seal does not match the statement under this portal's key: the statement was "
            "altered, or the head was not issued by this portal (or with another key)."
        )
    data = json.loads(statement)
    issued = datetime.fromisoformat(data["issued_at"]).strftime("%Y%m%dT%H%M%SZ")
    if issued != match.group(1):
        raise HeadNotRecognised("The time in the published head is not the sealed statement's.")
    problems = []
    models_by_label = {model._meta.label: model for model in chained_models()}
    for label, (length, last_hash) in sorted(data["tables"].items()):
        problems += _table_problems(models_by_label.get(label), label, length, last_hash)
    return HeadCheck(published.strip(), data["issued_at"], len(data["tables"]), problems)


def _table_problems(model, label, length, last_hash):
    if not length:
        return []
    if model is None:
        return [ChainProblem(label, None, "the table was in the published head but is gone")]
    row = model.objects.filter(chain_position=length).only("history_id", "chain_hash").first()
    if row is None:
        return [
            ChainProblem(
                label, None, f"the chain is shorter than the {length} rows published (rows removed)"
            )
        ]
    if row.chain_hash != last_hash:
        return [
            ChainProblem(
                label,
                row.history_id,
                f"the chain at row {length} differs from the published head: rows up to it were "
                "rewritten since it was published",
            )
        ]
    return []
