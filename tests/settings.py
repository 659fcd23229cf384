"""Test settings: the real settings, with plain HTTP and a fast password hasher.

Everything else (database, broker, cache) comes from the same environment variables as production,
so `make test` with DATABASE_URL and REDIS_URL set runs against the real PostgreSQL and Redis.
"""

import os
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "tests-only-" + "x" * 50)
os.environ.setdefault("QMS_CHAIN_SEAL_KEY", "tests-only-chain-seal-" + "k" * 40)
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")


def _own_redis_database(url, worker):
    """The given Redis URL with the database number raised by the worker's number."""
    base, _, database = url.rstrip("/").rpartition("/")
    if not database.isdigit():
        base, database = url.rstrip("/"), "0"
    return f"{base}/{int(database) + int(worker.removeprefix('gw'))}"


# Parallel test processes (pytest-xdist ``gw0``, ``gw1`` …) each get a Redis database of their own,
# so one's broker queue, cache and locks never reach another's Celery worker (which serves another
# test database), and a media folder of their own. The environment is adjusted once, in the test
# process, and marked; processes a test starts (a Celery worker) inherit it as it is, with any
# REDIS_URL the test gives them left alone.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if XDIST_WORKER and os.environ.get("QMS_TEST_ENVIRONMENT_OF") != XDIST_WORKER:
    os.environ["QMS_TEST_ENVIRONMENT_OF"] = XDIST_WORKER
    if os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = _own_redis_database(os.environ["REDIS_URL"], XDIST_WORKER)
    var_dir = os.environ.get("QMS_VAR_DIR", Path(__file__).resolve().parents[1] / "var")
    os.environ.setdefault("MEDIA_ROOT", str(Path(var_dir) / "test-media" / XDIST_WORKER))

from qms_portal.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "test-media"))  # noqa: F405
# Tests render pages without running collectstatic first.
STORAGES = {  # noqa: F405
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}  # noqa: F405
