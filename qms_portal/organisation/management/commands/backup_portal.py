from django.conf import settings
from django.core.management.base import BaseCommand

from qms_portal.backup import create_backup


class Command(BaseCommand):
    help = "Back up every record and uploaded file into one archive (default: var/backups/)."

    def add_arguments(self, parser):
        parser.add_argument("--to", default=str(settings.VAR_DIR / "backups"), help="target folder")

    def handle(self, *args, **options):
        path = create_backup(options["to"])
        self.stdout.write(self.style.SUCCESS(f"Backup written: {path}"))
