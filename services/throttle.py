"""Rate limits for the public pages and the API, counted per client address in the shared cache
(Redis in production, so every worker agrees; each process counts alone while it is unreachable,
``qms_portal.resilient_cache``). Generous enough that an ordinary citizen never meets them."""

from django.conf import settings

from qms_portal import resilient_cache
from qms_portal.organisation.throttling import client_address

#: name → (setting holding the limit, default limit, window in seconds)
LIMITS = {
    "submit": ("SERVICES_SUBMIT_LIMIT", 10, 60 * 60),
    "track": ("SERVICES_TRACK_FAILURE_LIMIT", 30, 60 * 60),
    "rate": ("SERVICES_RATE_LIMIT", 20, 60 * 60),
}


def _limit(name):
    setting, default, window = LIMITS[name]
    return getattr(settings, setting, default), window


def _key(name, request):
    return f"services-throttle:{name}:{client_address(request)}"


def is_blocked(name, request):
    """True when this client address has used up the limit of ``name`` in the current window."""
    limit, _window = _limit(name)
    key = _key(name, request)
    return resilient_cache.read_counters([key]).get(key, 0) >= limit


def count(name, request):
    """Count one use of ``name`` by this client address."""
    _limit_value, window = _limit(name)
    resilient_cache.increment(_key(name, request), window=window)
