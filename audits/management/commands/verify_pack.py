"""``python manage.py verify_pack PATH.zip``: check a downloaded evidence pack."""

from django.core.management.base import BaseCommand, CommandError

from audits.packs.verify import verify_zip


class Command(BaseCommand):
    help = "Check an evidence pack ZIP against its manifest and say exactly what differs."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the downloaded ZIP")
        parser.add_argument(
            "--manifest-sha256",
            default="",
            help="the manifest hash shown on the pack's page in the portal (optional)",
        )

    def handle(self, *args, path, manifest_sha256, **options):
        result = verify_zip(path)
        expected = manifest_sha256.strip().lower() or self._recorded(result.pack)
        if expected and result.manifest_sha256 and expected != result.manifest_sha256:
            result.problems.append(
                f"manifest hash mismatch: the portal recorded {expected}, "
                f"manifest.json has {result.manifest_sha256}"
            )
        if not result.ok:
            for line in result.lines():
                self.stdout.write(line)
            raise CommandError(f"{path}: {len(result.lines())} difference(s) found")
        self.stdout.write(
            self.style.SUCCESS(
                f"OK: {result.pack} — {result.checked} file(s) match manifest.json "
                f"(SHA-256 {result.manifest_sha256}, printed in the report)"
            )
        )

    @staticmethod
    def _recorded(reference):
        """The manifest hash the portal recorded for this pack, when run next to its database."""
        from audits.packs.models import EvidencePack

        try:
            hashes = set(
                EvidencePack.objects.filter(reference=reference).values_list(
                    "manifest_sha256", flat=True
                )
            )
        except Exception:  # noqa: BLE001 - no database: the ZIP is checked on its own
            return ""
        return hashes.pop() if len(hashes) == 1 else ""
