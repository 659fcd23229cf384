"""The shared cache (Redis in production), used so that losing it degrades the portal, never fails it.

Two kinds of use, each with its own safe failure:

* **Counters** (sign-in throttling, the citizen rate limits): when the shared cache cannot be
  reached they fail *safe*, into a store of this process's own, so attackers are still limited
  (per process rather than portal-wide) until Redis is back.
* **Cached values** (the transparency page): when the shared cache cannot be reached a read is a
  miss and a write is skipped, so the page is computed from the database. A process-local copy
  would outlive an invalidation made by another process.

After a failure the shared cache is left alone for :data:`RETRY_AFTER_SECONDS`, so a Redis that
is down costs one failed connection per process every few seconds, not one per counter. Every
counter and cached-value operation in the portal goes through this module (one rule, one place).
"""

import logging
import time

from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.signals import setting_changed
from django.dispatch import receiver

logger = logging.getLogger(__name__)

#: How long the shared cache is bypassed after it failed, before it is tried again.
RETRY_AFTER_SECONDS = 5

_local_counters = LocMemCache("qms-local-counters", {"OPTIONS": {"MAX_ENTRIES": 50_000}})
_unreachable_until = {"monotonic": 0.0}


class SharedCacheUnavailable(Exception):
    """The shared cache did not answer (or was bypassed after a recent failure)."""


def _shared():
    return caches["default"]


def _on_shared(operation):
    """Run ``operation(shared_cache)``; raise :class:`SharedCacheUnavailable` if it cannot."""
    if time.monotonic() < _unreachable_until["monotonic"]:
        raise SharedCacheUnavailable("bypassed after a recent failure")
    try:
        return operation(_shared())
    except Exception as error:  # any backend failure (connection refused, time-out, …)
        _unreachable_until["monotonic"] = time.monotonic() + RETRY_AFTER_SECONDS
        logger.warning(
            "shared cache unreachable (%s: %s); counters are kept in this process for %d s",
            error.__class__.__name__,
            error,
            RETRY_AFTER_SECONDS,
        )
        raise SharedCacheUnavailable(str(error)) from error


def _counter_operation(operation):
    """``operation`` on the shared cache, or on this process's own store when it is unreachable."""
    try:
        return _on_shared(operation)
    except SharedCacheUnavailable:
        return operation(_local_counters)


# --- Counters: fail safe ---------------------------------------------------------------------


def read_counters(keys):
    """The current values of ``keys`` that exist, as a dict (counters, or times from ``hold``)."""
    keys = list(keys)
    return _counter_operation(lambda store: store.get_many(keys))


def increment(key, *, window):
    """Add one to ``key`` (a counter that lives ``window`` seconds from its first use); the count."""

    def add_one(store):
        store.add(key, 0, timeout=window)
        try:
            return store.incr(key)
        except ValueError:  # expired between add and incr
            store.set(key, 1, timeout=window)
            return 1

    return _counter_operation(add_one)


def first_time(key, *, seconds):
    """True the first time ``key`` is asked for within ``seconds`` (a "once per interval" mark)."""
    return bool(_counter_operation(lambda store: store.add(key, 1, timeout=seconds)))


def hold(key, value, *, seconds):
    """Keep ``value`` under ``key`` for ``seconds`` (a back-off: "not before this time")."""
    _counter_operation(lambda store: store.set(key, value, timeout=seconds))


def forget(key):
    """Remove a counter (a successful sign-in clears its account's count)."""
    _counter_operation(lambda store: store.delete(key))
    _local_counters.delete(key)  # a count made while Redis was down must not outlive success


# --- Cached values: a miss when unreachable --------------------------------------------------


def cached(key):
    """The value cached under ``key``, or None (missing, or the shared cache is unreachable)."""
    try:
        return _on_shared(lambda store: store.get(key))
    except SharedCacheUnavailable:
        return None


def cache_value(key, value, *, seconds):
    """Cache ``value`` for ``seconds``; skipped when the shared cache is unreachable."""
    try:
        _on_shared(lambda store: store.set(key, value, seconds))
    except SharedCacheUnavailable:
        pass


def discard(key):
    """Drop a cached value; when unreachable, the value ages out by its own time-out."""
    try:
        _on_shared(lambda store: store.delete(key))
    except SharedCacheUnavailable:
        pass


# --- Health ----------------------------------------------------------------------------------


def shared_cache_state():
    """For /healthz: whether the shared cache answers now (asked directly, never bypassed)."""
    shared = _shared()
    if isinstance(shared, LocMemCache):
        return {"ok": True, "mode": "local", "detail": "cache in this process (no Redis set)"}
    try:
        shared.get("healthz:probe")
    except Exception as error:
        logger.warning("healthz: shared cache check failed: %s", error)
        return {
            "ok": False,
            "mode": "shared",
            "error": error.__class__.__name__,
            "detail": "throttling counts in each process until the cache is back",
        }
    return {"ok": True, "mode": "shared"}


@receiver(setting_changed)
def _start_afresh_when_caches_change(*, setting, **kwargs):
    """Tests point CACHES elsewhere: forget the bypass and this process's counters."""
    if setting == "CACHES":
        _unreachable_until["monotonic"] = 0.0
        _local_counters.clear()
