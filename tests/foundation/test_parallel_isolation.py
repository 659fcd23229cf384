"""Parallel test processes keep apart: each its own Redis database and media folder."""

import os

from django.conf import settings

from tests.settings import XDIST_WORKER, _own_redis_database


def test_each_worker_takes_the_given_database_plus_its_number():
    assert _own_redis_database("redis://127.0.0.1:6379/0", "gw0") == "redis://127.0.0.1:6379/0"
    assert _own_redis_database("redis://127.0.0.1:6379/0", "gw1") == "redis://127.0.0.1:6379/1"
    assert _own_redis_database("redis://127.0.0.1:6379/3", "gw2") == "redis://127.0.0.1:6379/5"
    assert _own_redis_database("redis://127.0.0.1:6379", "gw1") == "redis://127.0.0.1:6379/1"


def test_this_process_uses_its_own_media_folder_and_broker():
    if not XDIST_WORKER:  # one process alone: the given settings as they are
        assert os.environ.get("QMS_TEST_ENVIRONMENT_OF") is None
        return
    assert os.environ["QMS_TEST_ENVIRONMENT_OF"] == XDIST_WORKER
    assert settings.MEDIA_ROOT.name == XDIST_WORKER
    if settings.REDIS_URL:  # the broker and the cache both on this process's own database
        assert settings.CELERY_BROKER_URL == settings.REDIS_URL == os.environ["REDIS_URL"]
        assert settings.CACHES["default"]["LOCATION"] == settings.REDIS_URL
