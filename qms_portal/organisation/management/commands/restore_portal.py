import tarfile

from django.core.management.base import BaseCommand, CommandError

from qms_portal.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = "Restore a backup archive into an empty, migrated database and the media folder."

    def add_arguments(self, parser):
        parser.add_argument("archive", help="path of a qms-backup-*.tar.gz")

    def handle(self, *args, **options):
        try:
            manifest = restore_backup(options["archive"])
        except (BackupError, OSError, KeyError) as error:
            raise CommandError(str(error)) from error
        except tarfile.TarError as error:
            raise CommandError(f"Not a readable backup archive: {error}") from error
        total = sum(manifest["records"].values())
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {total} records and {len(manifest['files'])} files; counts and checksums match."
            )
        )
