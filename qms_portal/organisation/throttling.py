"""Failed sign-in throttling: a lock per account, a back-off per address.

* **Per account** (the name as typed, case-insensitive): ``LOGIN_FAILURE_LIMIT`` failures within
  ``LOGIN_FAILURE_WINDOW_SECONDS`` lock that account — sign-in and signing, the right password
  included — until the window has passed. A successful sign-in clears the account's count. Wrong
  passwords re-entered to sign (``signing.confirm_signature_password``) count here too.
* **Per client address**, a much higher ``LOGIN_ADDRESS_FAILURE_LIMIT`` in the same window, so
  the staff behind one office NAT never lock each other out. Past it the address is not locked
  but *backs off*: after each further failure it must wait a delay that doubles (one second, two,
  four …, at most the window) before its next attempt is looked at.
* **Per known device**: a successful sign-in gives the browser a signed cookie naming the account
  (:func:`remember_device`). From that browser the account is limited on its own count, apart
  from the account lock and the address back-off, so an attacker who locks an account or drives
  the office's address into back-off does not lock out staff at the browsers they use every day
  (the OWASP "device cookie" defence).

Counts live in the shared cache (Redis in production, so all workers agree); when it is
unreachable they fall back to this process (``qms_portal.resilient_cache``), so limits still hold.
"""

import hashlib
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.core import signing

from qms_portal import resilient_cache


@dataclass(frozen=True)
class Refusal:
    """Why an attempt is refused before its password is looked at, and for how long."""

    reason: str  # "account_locked" or "address_backoff" (FailedSignIn.Reason values)
    wait_seconds: int


#: The cookie of a browser an account signed in from, and how long it is trusted.
DEVICE_COOKIE = "qms_known_device"
DEVICE_COOKIE_MAX_AGE = 180 * 24 * 60 * 60
_DEVICE_SALT = "qms_portal.sign-in.known-device"
#: Refused attempts repeated within this time are logged once (a locked account hammered from one
#: address does not fill the log).
REFUSAL_LOG_INTERVAL_SECONDS = 60


def _account(username):
    return hashlib.sha256((username or "").strip().lower().encode()).hexdigest()[:32]


def _account_key(username):
    return f"login-failures:account:{_account(username)}"


def _device_key(device):
    return f"login-failures:device:{device}"


def _address_keys(client_address):
    return f"login-failures:address:{client_address}", f"login-backoff:address:{client_address}"


def _window():
    return settings.LOGIN_FAILURE_WINDOW_SECONDS


def known_device(request, username):
    """The id of this browser when it carries the cookie a sign-in of ``username`` gave it."""
    value = request.COOKIES.get(DEVICE_COOKIE)
    if not value:
        return None
    try:
        data = signing.loads(value, salt=_DEVICE_SALT, max_age=DEVICE_COOKIE_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("account") != _account(username):
        return None
    return data.get("device") or None


def remember_device(response, username):
    """After a successful sign-in: mark this browser as one the account uses."""
    value = signing.dumps(
        {"account": _account(username), "device": secrets.token_urlsafe(16)}, salt=_DEVICE_SALT
    )
    response.set_cookie(
        DEVICE_COOKIE,
        value,
        max_age=DEVICE_COOKIE_MAX_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def refusal_for(username, client_address, device=None):
    """A :class:`Refusal` if this attempt may not be tried now, else None.

    ``client_address`` is None on a signing form: the account alone counts there. ``device``
    (:func:`known_device`): the browser's own count decides, not the account's or the address's.
    """
    if device is not None:
        failures = resilient_cache.read_counters([_device_key(device)]).get(_device_key(device), 0)
        if failures >= settings.LOGIN_FAILURE_LIMIT:
            return Refusal("account_locked", _window())
        return None
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


def record_failure(username, client_address, device=None):
    """Count one failure against the account and, from a sign-in form, against the address; from
    a known device, against that browser alone."""
    if device is not None:
        resilient_cache.increment(_device_key(device), window=_window())
        return
    resilient_cache.increment(_account_key(username), window=_window())
    if client_address is None:
        return
    count_key, backoff_key = _address_keys(client_address)
    failures = resilient_cache.increment(count_key, window=_window())
    over = failures - settings.LOGIN_ADDRESS_FAILURE_LIMIT
    if over >= 0:
        delay = min(2**over, _window())
        resilient_cache.hold(backoff_key, time.time() + delay, seconds=delay)


def clear_failures(username, device=None):
    """A successful sign-in or signature clears its account's count (never the address's), and
    the browser's."""
    resilient_cache.forget(_account_key(username))
    if device is not None:
        resilient_cache.forget(_device_key(device))


def log_refusal_now(username, client_address, reason):
    """True for the first refusal of this name from this address for this reason within
    :data:`REFUSAL_LOG_INTERVAL_SECONDS`: the ones to write to the failed sign-in log."""
    key = f"login-refusal-logged:{reason}:{_account(username)}:{client_address}"
    return resilient_cache.first_time(key, seconds=REFUSAL_LOG_INTERVAL_SECONDS)


def client_address(request):
    """The client's address; behind a TLS proxy, the last hop the proxy added."""
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "unknown")
