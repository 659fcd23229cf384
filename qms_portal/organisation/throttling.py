"""Failed sign-in throttling: a lock per account, a back-off per address.

* **Per account** (the name as typed, case-insensitive): ``LOGIN_FAILURE_LIMIT`` failures within
  ``LOGIN_FAILURE_WINDOW_SECONDS`` lock that account — sign-in and signing, the right password
  included — until the window has passed. A successful sign-in clears the account's count. Wrong
  passwords re-entered to sign (``signing.confirm_signature_password``) count here too.
* **Per client address**, a much higher ``LOGIN_ADDRESS_FAILURE_LIMIT`` in the same window, so
  the staff behind one office NAT never lock each other out. Past it the address is not locked
  but *backs off*: after each further failure it must wait a delay that doubles (one second, two,
  four …, at most the window) before its next attempt is looked at.

Counts live in the shared cache (Redis in production, so all workers agree); when it is
unreachable they fall back to this process (``qms_portal.resilient_cache``), so limits still hold.
"""

import hashlib
import time
from dataclasses import dataclass

from django.conf import settings

from qms_portal import resilient_cache


@dataclass(frozen=True)
class Refusal:
    """Why an attempt is refused before its password is looked at, and for how long."""

    reason: str  # "account_locked" or "address_backoff" (FailedSignIn.Reason values)
    wait_seconds: int


def _account_key(username):
    account = hashlib.sha256((username or "").strip().lower().encode()).hexdigest()[:32]
    return f"login-failures:account:{account}"


def _address_keys(client_address):
    return f"login-failures:address:{client_address}", f"login-backoff:address:{client_address}"


def _window():
    return settings.LOGIN_FAILURE_WINDOW_SECONDS


def refusal_for(username, client_address):
    """A :class:`Refusal` if this attempt may not be tried now, else None.

    ``client_address`` is None on a signing form: the account alone counts there.
    """
    account_key = _account_key(username)
    keys = [account_key]
    if client_address is not None:
        keys.append(_address_keys(client_address)[1])
    values = resilient_cache.read_counters(keys)
    if values.get(account_key, 0) >= settings.LOGIN_FAILURE_LIMIT:
        return Refusal("account_locked", _window())
    if client_address is not None:
        not_before = values.get(keys[1])
        if not_before is not None and not_before > time.time():
            return Refusal("address_backoff", max(1, int(not_before - time.time() + 0.999)))
    return None


def is_locked_out(username, client_address):
    """True when the attempt is refused (kept for callers that need no reason)."""
    return refusal_for(username, client_address) is not None


def record_failure(username, client_address):
    """Count one failure against the account and, from a sign-in form, against the address."""
    resilient_cache.increment(_account_key(username), window=_window())
    if client_address is None:
        return
    count_key, backoff_key = _address_keys(client_address)
    failures = resilient_cache.increment(count_key, window=_window())
    over = failures - settings.LOGIN_ADDRESS_FAILURE_LIMIT
    if over >= 0:
        delay = min(2**over, _window())
        resilient_cache.hold(backoff_key, time.time() + delay, seconds=delay)


def clear_failures(username):
    """A successful sign-in or signature clears its account's count (never the address's)."""
    resilient_cache.forget(_account_key(username))


def client_address(request):
    """The client's address; behind a TLS proxy, the last hop the proxy added."""
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "unknown")
