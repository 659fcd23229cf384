"""Production variables give a configuration that `check --deploy` accepts without warnings."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "SECRET_KEY": "k3J9-vQ2#pX7!mZ4@rT8$wL1%nB6^yH5&cF0*dG2(sA9)eU3_iO7+",
    "QMS_CHAIN_SEAL_KEY": "5f1c0a9e7b3d4c2a8e6f0b1d3c5a7e9f2b4d6c8a0e1f3b5d7c9a2e4f6b8d0c1a",
    "DATABASE_URL": "postgres://qms@127.0.0.1:5432/qms",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "ALLOWED_HOSTS": "qms.example.gov.cn",
    "EMAIL_HOST": "smtp.example.gov.cn",
}


def manage(*args, env):
    inherited = {
        "DEBUG",
        "DATABASE_URL",
        "REDIS_URL",
        "SECRET_KEY",
        "QMS_CHAIN_SEAL_KEY",
        "QMS_CHAIN_SEAL_KEY_FILE",
        "SECURE_SSL_REDIRECT",
        "DJANGO_SETTINGS_MODULE",
    }
    clean = {k: v for k, v in os.environ.items() if k not in inherited}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env, "DJANGO_SETTINGS_MODULE": "qms_portal.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_variables():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_without_a_secret_key_refuses_to_start():
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


def test_production_without_a_chain_seal_key_refuses_to_start():
    """The key that seals published chain heads must be set, the same on every node: a key file
    made by one node on its own disk would seal heads the others cannot check."""
    env = {k: v for k, v in PRODUCTION.items() if k != "QMS_CHAIN_SEAL_KEY"}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "Set QMS_CHAIN_SEAL_KEY" in result.stderr


def test_development_profile_is_flagged_by_check_deploy():
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", env={**PRODUCTION, "DEBUG": "true"}
    )
    assert result.returncode != 0
    assert "DEBUG" in result.stdout + result.stderr
