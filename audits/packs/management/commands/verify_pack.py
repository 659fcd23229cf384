"""``python manage.py verify_pack PATH.zip``: check a downloaded evidence pack."""

from django.core.management.base import BaseCommand, CommandError

from audits.packs.verify import compare_with_record, verify_zip


class Command(BaseCommand):
    help = "Check an evidence pack ZIP against its manifest and say exactly what differs."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the downloaded ZIP")
        parser.add_argument(
            "--manifest-sha256",
            default="",
            help="the manifest hash shown on the pack's page in the portal (optional)",
        )
        parser.add_argument(
            "--pdf-sha256", default="", help="the PDF hash shown on the pack's page (optional)"
        )
        parser.add_argument(
            "--zip-sha256", default="", help="the ZIP hash shown on the pack's page (optional)"
        )

    def handle(self, *args, path, manifest_sha256, pdf_sha256, zip_sha256, **options):
        result = verify_zip(path)
        recorded = self._recorded(result.pack)
        compare_with_record(
            result,
            manifest_sha256=manifest_sha256 or recorded.get("manifest_sha256", ""),
            pdf_sha256=pdf_sha256 or recorded.get("pdf_sha256", ""),
            zip_sha256=zip_sha256 or recorded.get("zip_sha256", ""),
        )
        if not result.ok:
            for line in result.lines():
                self.stdout.write(line)
            raise CommandError(f"{path}: {len(result.lines())} difference(s) found")
        self.stdout.write(
            self.style.SUCCESS(
                f"OK: {result.pack} — {result.checked} file(s) match manifest.json "
                f"(SHA-256 {result.manifest_sha256}, printed in the report)"
                + ("; the ZIP and the PDF match the portal's record" if recorded else "")
            )
        )

    @staticmethod
    def _recorded(reference):
        """The hashes the portal recorded for this pack's current build, when run next to its
        database: the PDF is signed by nothing inside the ZIP, so only this record catches a
        swapped report. ``{}`` when there is no database or the reference is not one pack."""
        from audits.packs.models import EvidencePack

        if not reference:
            return {}
        try:
            rows = list(
                EvidencePack.objects.filter(reference=reference).values(
                    "manifest_sha256", "pdf_sha256", "zip_sha256"
                )[:2]
            )
        except Exception:  # noqa: BLE001 - no database: the ZIP is checked on its own
            return {}
        return rows[0] if len(rows) == 1 else {}
