"""`make test`: pytest over the whole suite, shaped by the environment.

With DATABASE_URL (PostgreSQL) and REDIS_URL set, every test runs, including those marked
``services`` that start a real Celery worker. Without them (the embedded run) those tests are
deselected, not skipped, and the run says so; `.ci/run` runs both ways.
"""

import os
import sys

import pytest


def main(argv):
    args = list(argv)
    has_services = os.environ.get("DATABASE_URL", "").startswith("postgres") and os.environ.get(
        "REDIS_URL"
    )
    if not has_services:
        print(
            "make test (embedded: SQLite, tasks in-process): tests marked 'services' need "
            "PostgreSQL + Redis + a Celery worker and are deselected here; .ci/run runs them."
        )
        args = ["-m", "not services", *args]
    return pytest.main(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
