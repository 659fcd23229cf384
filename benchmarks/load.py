"""Load test: gunicorn + PostgreSQL + Redis + a Celery worker, driven by locust on loopback.

    .venv/bin/python benchmarks/load.py [--users 50] [--seconds 60]

Prepares a scratch database (default postgres://postgres@127.0.0.1:5432/qms_load, created if
missing) with the demo agency, starts gunicorn on 127.0.0.1 and a Celery worker, then runs locust
headless twice for a bounded time: the baseline (robots.txt, a Django view with no database work)
and the realistic mix in benchmarks/locustfile.py. Prints requests per second, p50/p95/p99 and
errors for both, and whether the target (no errors, p95 under 300 ms at 50 users) was met.
All traffic stays on 127.0.0.1; every process it starts is stopped at the end.
"""

import argparse
import csv
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
OUT = ROOT / "var" / "bench-load"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def ensure_database(url):
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def server_env(args, port):
    return {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "QMS_CHAIN_SEAL_KEY": secrets.token_hex(32),
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        # plain HTTP on loopback: no TLS redirect, cookies without the Secure flag
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        "CSRF_TRUSTED_ORIGINS": f"http://127.0.0.1:{port}",
        # every virtual citizen comes from 127.0.0.1: lift the per-address limits for this run only
        "SERVICES_SUBMIT_LIMIT": "100000000",
        "SERVICES_TRACK_FAILURE_LIMIT": "100000000",
        "QMS_VAR_DIR": str(OUT),
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "qms_portal.settings",
    }


def manage(env, *args):
    subprocess.run([str(BIN / "python"), "manage.py", *args], cwd=ROOT, env=env, check=True)


LOAD_SERVICE = """
from qms_portal.organisation.models import Agency, Department
from services.models import Service
agency = Agency.objects.get(code="JM")
Service.objects.get_or_create(agency=agency, code="LOAD-TEST", defaults=dict(
    name_zh="路灯报修", name_en="Report a broken street light", department=Department.objects.get(agency=agency, code="URB"),
    commitment_days=3, is_public=True))
"""


def wait_until_healthy(port, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("the portal did not become healthy")


def run_locust(port, users, seconds, classes, prefix):
    subprocess.run(
        [
            str(BIN / "locust"),
            "-f",
            str(ROOT / "benchmarks" / "locustfile.py"),
            *classes,
            "--headless",
            "-u",
            str(users),
            "-r",
            str(max(1, users // 5)),
            "-t",
            f"{seconds}s",
            "--host",
            f"http://127.0.0.1:{port}",
            "--csv",
            str(OUT / prefix),
            "--only-summary",
            "--loglevel",
            "WARNING",
            "--stop-timeout",
            "5",
        ],
        cwd=ROOT,
        check=False,
        timeout=seconds + 120,
    )
    with open(OUT / f"{prefix}_stats.csv") as handle:
        rows = list(csv.DictReader(handle))
    return rows


def summary(row):
    requests = int(row["Request Count"])
    return (
        f"{float(row['Requests/s']):8.1f} {row['50%']:>7} {row['95%']:>7} {row['99%']:>7} "
        f"{requests:8d} {int(row['Failure Count']):7d}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--baseline-seconds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/qms_load")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = server_env(args, port)
    ensure_database(args.database_url)
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "seed_demo")
    manage(env, "shell", "-c", LOAD_SERVICE)
    manage(env, "collectstatic", "--noinput", "-v", "0")
    processes = [
        subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "qms_portal.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(args.workers),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        ),
        subprocess.Popen(
            [
                str(BIN / "celery"),
                "-A",
                "qms_portal",
                "worker",
                "--pool=solo",
                "--loglevel=WARNING",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
    ]
    try:
        wait_until_healthy(port)
        baseline = run_locust(port, args.users, args.baseline_seconds, ["TrivialUser"], "baseline")
        mix = run_locust(
            port,
            args.users,
            args.seconds,
            ["CitizenUser", "StaffUser", "QualityManagerUser"],
            "mix",
        )
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
    print(
        f"\nLoad test: {args.users} users, gunicorn {args.workers} workers, PostgreSQL + Redis + Celery worker, 127.0.0.1"
    )
    print(
        f"{'':34} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'requests':>8} {'errors':>7}"
    )
    print(
        f"{'baseline (robots.txt)':34} {summary(next(r for r in baseline if r['Name'] == 'Aggregated'))}"
    )
    for row in mix:
        label = "realistic mix (all)" if row["Name"] == "Aggregated" else f"  {row['Name']}"
        print(f"{label:34} {summary(row)}")
    total = next(r for r in mix if r["Name"] == "Aggregated")
    met = int(total["Failure Count"]) == 0 and float(total["95%"]) < 300
    print(f"\nTarget (no errors, p95 < 300 ms): {'met' if met else 'NOT met'}")
    reference = next(r for r in baseline if r["Name"] == "Aggregated")
    for name, column in (("requests_per_second", "Requests/s"), ("p95_ms", "95%")):
        value, base = float(total[column]), float(reference[column])
        ratio = f"{value / base:.2f}" if base else "n/a"
        print(f"RESULT load {name}={value:g} baseline={base:g} ratio={ratio}")


if __name__ == "__main__":
    main()
