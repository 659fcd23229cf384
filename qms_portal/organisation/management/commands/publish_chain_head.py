from django.core.management.base import BaseCommand

from qms_portal.chain_seal import issue_head, published_form


class Command(BaseCommand):
    help = (
        "Seal and record the head of every audit-trail chain now and print its published form "
        "(the beat task does this daily; packs do it when built)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--occasion", default="published by an administrator (command)")

    def handle(self, *args, occasion, **options):
        head = issue_head(occasion)
        self.stdout.write(published_form(head))
