from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from qms_portal.backup import BackupError, create_backup


class Command(BaseCommand):
    help = "Back up every record and uploaded file into one archive (default: var/backups/)."

    def add_arguments(self, parser):
        parser.add_argument("--to", default=str(settings.VAR_DIR / "backups"), help="target folder")

    def handle(self, *args, **options):
        try:
            path = create_backup(options["to"])
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"Backup written: {path}"))
