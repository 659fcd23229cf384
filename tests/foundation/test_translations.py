"""Every user-facing string has a zh-Hans translation (templates and Python alike).

The test extracts the messages afresh from a copy of the source (Django's makemessages, the same
command a developer runs) and merges them into a copy of the shipped catalogues: a string added
without a translation shows up as untranslated or fuzzy, and the test names it.
"""

import os
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import polib
import pytest
from django.utils import translation

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [
    "qms_portal",
    "documents",
    "processes",
    "audits",
    "assessment",
    "services",
    "retention",
    "templates",
    "locale",
]
SHIPPED = sorted(ROOT.glob("*/locale/zh_Hans/LC_MESSAGES/django.po")) + [
    ROOT / "locale/zh_Hans/LC_MESSAGES/django.po"
]


def entries(po_file, flag):
    result = subprocess.run(
        ["msgattrib", flag, "--no-wrap", str(po_file)], capture_output=True, text=True, check=True
    )
    ids = [line[7:-1] for line in result.stdout.splitlines() if line.startswith('msgid "')]
    return [i for i in ids if i]  # the header has an empty msgid


@pytest.fixture(scope="module")
def fresh_catalogues(tmp_path_factory):
    if not shutil.which("msgattrib"):
        pytest.fail("GNU gettext is needed (Debian package gettext; `make` installs it)")
    copy = tmp_path_factory.mktemp("source")
    for name in SOURCES:
        shutil.copytree(
            ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__", "*.mo")
        )
    shutil.copy(ROOT / "manage.py", copy / "manage.py")
    env = {
        **os.environ,
        "DEBUG": "true",
        "DJANGO_SETTINGS_MODULE": "qms_portal.settings",
        "QMS_VAR_DIR": str(copy / "var"),
    }
    env.pop("DATABASE_URL", None)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete", "-v", "0"],
        cwd=copy,
        env=env,
        check=True,
        timeout=300,
    )
    return sorted(copy.rglob("zh_Hans/LC_MESSAGES/django.po"))


def test_every_catalogue_is_there(fresh_catalogues):
    names = {p.parts[-5] if p.parts[-5] != "source" else "portal" for p in fresh_catalogues}
    assert {"documents", "processes", "audits", "assessment", "services", "retention"} <= names
    assert len(fresh_catalogues) == 7


def test_every_message_has_a_zh_hans_translation(fresh_catalogues):
    missing = []
    for po_file in fresh_catalogues:
        label = po_file.relative_to(po_file.parents[4])
        missing += [f"{label}: untranslated: {m}" for m in entries(po_file, "--untranslated")]
        missing += [f"{label}: fuzzy: {m}" for m in entries(po_file, "--only-fuzzy")]
    assert missing == [], f"{len(missing)} messages lack a translation:\n" + "\n".join(missing[:80])


def test_catalogues_compile_with_consistent_placeholders():
    for po_file in ROOT.glob("**/locale/zh_Hans/LC_MESSAGES/django.po"):
        if ".venv" in po_file.parts:
            continue
        result = subprocess.run(
            ["msgfmt", "--check-format", "-o", os.devnull, str(po_file)],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr


def test_a_message_has_one_translation_across_catalogues():
    """Django merges every catalogue into one at runtime (LOCALE_PATHS first, then the apps in
    INSTALLED_APPS order), so a message translated two ways shows one of the two everywhere.
    The same words with another meaning need a context of their own (pgettext, `context "…"`)."""
    translations = defaultdict(lambda: defaultdict(list))
    for po_file in SHIPPED:
        for entry in polib.pofile(str(po_file)):
            if entry.obsolete or entry.fuzzy:
                continue
            text = tuple(entry.msgstr_plural[n] for n in sorted(entry.msgstr_plural))
            text = text or entry.msgstr
            if any(text):
                label = po_file.relative_to(ROOT).parts[0]
                translations[(entry.msgctxt, entry.msgid)][text].append(label)
    conflicts = []
    for (context, msgid), found in translations.items():
        if len(found) > 1:
            where = "; ".join(f"{text} in {', '.join(labels)}" for text, labels in found.items())
            conflicts.append(f"{msgid!r} (context {context!r}): {where}")
    assert conflicts == [], f"{len(conflicts)} messages have two translations:\n" + "\n".join(
        conflicts
    )


def test_the_portal_serves_its_own_translation_of_every_message():
    """At runtime Django's own catalogues (admin, auth) come before ours in INSTALLED_APPS and win
    for the same message without context: "Action" would read 动作, not our 措施. Every message
    we ship must come back from gettext as we translated it; where our meaning is not Django's,
    the message needs a context of its own."""
    wrong = []
    with translation.override("zh-hans"):
        for po_file in SHIPPED:
            label = po_file.relative_to(ROOT).parts[0]
            for entry in polib.pofile(str(po_file)):
                if entry.obsolete or entry.fuzzy or not entry.msgid:
                    continue
                if entry.msgid_plural:
                    expected = entry.msgstr_plural[0]
                    if entry.msgctxt is None:
                        served = translation.ngettext(entry.msgid, entry.msgid_plural, 1)
                    else:
                        served = translation.npgettext(
                            entry.msgctxt, entry.msgid, entry.msgid_plural, 1
                        )
                else:
                    expected = entry.msgstr
                    if entry.msgctxt is None:
                        served = translation.gettext(entry.msgid)
                    else:
                        served = translation.pgettext(entry.msgctxt, entry.msgid)
                if expected and served != expected:
                    wrong.append(
                        f"{label}: {entry.msgid!r} (context {entry.msgctxt!r}):"
                        f" ours {expected}, served {served}"
                    )
    assert wrong == [], f"{len(wrong)} messages show another translation:\n" + "\n".join(wrong)
