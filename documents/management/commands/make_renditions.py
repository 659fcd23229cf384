"""``python manage.py make_renditions``: queue the PDF renditions not made yet (failed or missing)."""

from django.core.management.base import BaseCommand
from django.db import transaction

from documents import renditions


class Command(BaseCommand):
    help = (
        "Queue a LibreOffice conversion for every DOCX, XLSX and ODT revision whose PDF rendition "
        "is not made from its current file (after installing LibreOffice, or a failed conversion)."
    )

    def handle(self, *args, **options):
        with transaction.atomic():  # queued through the outbox, sent once this commits
            count = renditions.request_missing()
        self.stdout.write(f"{count} rendition(s) queued.")
