from django.core.management.base import BaseCommand, CommandError

from qms_portal.audit_trail import verify_chains


class Command(BaseCommand):
    help = "Check the hash chains of signed records' history; report every row changed behind the portal's back."

    def handle(self, *args, **options):
        failures = 0
        for table, (count, problems) in sorted(verify_chains().items()):
            if problems:
                failures += len(problems)
                self.stdout.write(
                    self.style.ERROR(f"{table}: {count} rows, {len(problems)} problems")
                )
                for problem in problems:
                    self.stdout.write(f"  - {problem}")
            else:
                self.stdout.write(self.style.SUCCESS(f"{table}: {count} rows, intact"))
        if failures:
            raise CommandError(f"The audit trail has {failures} problems (listed above).")
