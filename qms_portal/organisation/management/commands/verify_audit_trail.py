from django.core.management.base import BaseCommand, CommandError

from qms_portal.audit_trail import seal_all, verify_chains
from qms_portal.chain_seal import HeadNotRecognised, statement_from_file, verify_against


class Command(BaseCommand):
    help = (
        "Check the hash chains of signed records' history and the signature tables; report every "
        "row changed behind the portal's back. With --against, also prove that nothing up to a "
        "published chain head (an evidence pack's cover, the transparency page) was rewritten."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--against",
            metavar="QMSH1-…",
            help="a published chain head, as printed on an evidence pack or the transparency page",
        )
        parser.add_argument(
            "--statement",
            metavar="FILE",
            help="the head's statement as a third party kept it: an evidence pack's manifest.json "
            "(default: the statement recorded in the database)",
        )

    def handle(self, *args, against=None, statement=None, **options):
        if statement and not against:
            raise CommandError("--statement needs --against (the published head it belongs to).")
        # Rows of changes that committed but were not sealed yet (a crash after commit) are
        # sealed first, as the beat task would a minute later; then every chain is recomputed.
        for table, count in sorted(seal_all().items()):
            if count:
                self.stdout.write(f"{table}: sealed {count} rows written since the last seal")
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
        if against:
            failures += self._check_published_head(against, statement)
        if failures:
            raise CommandError(f"The audit trail has {failures} problems (listed above).")

    def _check_published_head(self, against, statement_file):
        try:
            statement = statement_from_file(statement_file) if statement_file else None
            check = verify_against(against, statement=statement)
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise CommandError(f"Cannot read the statement {statement_file}: {error}") from error
        except HeadNotRecognised as error:
            raise CommandError(str(error)) from error
        if check.problems:
            self.stdout.write(
                self.style.ERROR(
                    f"Against {check.published} (issued {check.issued_at}): "
                    f"{len(check.problems)} problems"
                )
            )
            for problem in check.problems:
                self.stdout.write(f"  - {problem}")
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Against {check.published} (issued {check.issued_at}): all {check.tables} "
                    "chains still hold the published heads; nothing was rewritten since"
                )
            )
        return len(check.problems)
