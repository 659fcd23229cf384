"""Failed sign-in throttling, counted in the cache (Redis in production, so all workers agree).

Failures are counted per account name and per client address; either reaching the limit within the
window refuses further attempts until the window has passed. A successful sign-in clears the
account's count. Wrong passwords re-entered to sign (``signing.confirm_signature_password``) count
against the same account, without a client address.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache


def _keys(username, client_address):
    account = hashlib.sha256((username or "").strip().lower().encode()).hexdigest()[:32]
    if client_address is None:  # a signing form: the account alone
        return [f"login-failures:account:{account}"]
    return [f"login-failures:account:{account}", f"login-failures:address:{client_address}"]


def is_locked_out(username, client_address):
    limit = settings.LOGIN_FAILURE_LIMIT
    counts = cache.get_many(_keys(username, client_address))
    return any(count >= limit for count in counts.values())


def record_failure(username, client_address):
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    for key in _keys(username, client_address):
        cache.add(key, 0, timeout=window)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window)


def clear_failures(username):
    cache.delete(_keys(username, "")[0])


def client_address(request):
    """The client's address; behind a TLS proxy, the last hop the proxy added."""
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "unknown")
