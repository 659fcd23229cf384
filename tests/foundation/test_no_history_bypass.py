"""Changes to records go through save(), so history sees them: no queryset bulk writes in app code.

A queryset ``update()``, ``bulk_update()``, ``bulk_create()`` or ``delete()`` writes rows without a
history entry. App code may use one only with a ``# history-exempt: <reason>`` comment on the line
above (for rows that are not regulated records, such as delivery bookkeeping).
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP_DIRS = ["qms_portal", "documents", "processes", "audits", "assessment", "services"]
BULK_WRITES = {"update", "bulk_update", "bulk_create", "delete"}
SKIPPED_PARTS = {"migrations", "management"}
SKIPPED_FILES = {"demo.py", "backup.py"}


def queryset_like(node):
    receiver = ast.unparse(node)
    return (
        "objects" in receiver
        or ".filter(" in receiver
        or ".exclude(" in receiver
        or ".all()" in receiver
    )


def bulk_writes(path):
    source = path.read_text()
    lines = source.splitlines()
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in BULK_WRITES
            and queryset_like(node.func.value)
        ):
            above = lines[node.lineno - 2] if node.lineno >= 2 else ""
            if (
                "# history-exempt:" not in above
                and "# history-exempt:" not in lines[node.lineno - 1]
            ):
                yield f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)[:100]}"


def test_app_code_writes_records_through_save():
    found = []
    for directory in APP_DIRS:
        for path in sorted((ROOT / directory).rglob("*.py")):
            if SKIPPED_PARTS & set(path.relative_to(ROOT).parts) or path.name in SKIPPED_FILES:
                continue
            found.extend(bulk_writes(path))
    assert found == [], "bulk writes bypass history:\n" + "\n".join(found)


def test_the_check_catches_a_bulk_update(tmp_path, monkeypatch):
    sample = ROOT / "documents" / "_probe_for_test.py"
    sample.write_text(
        "def f(Revision):\n    Revision.objects.filter(pk=1).update(status='effective')\n"
    )
    try:
        assert list(bulk_writes(sample)) == [
            "documents/_probe_for_test.py:2: Revision.objects.filter(pk=1).update(status='effective')"
        ]
    finally:
        sample.unlink()
