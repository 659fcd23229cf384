import importlib

from django.apps import AppConfig
from django.apps import apps as global_apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

CLAUSE_CATALOGUE_MIGRATION = "processes.migrations.0002_iso9001_clause_catalogue"


def restore_clause_catalogue(sender, using, apps=global_apps, **kwargs):
    """Put the ISO 9001 clause catalogue back after a flush.

    The catalogue is reference data loaded by a data migration; ``manage.py flush`` (and every
    transactional test) empties it and then sends ``post_migrate``. Write the missing clauses
    here from the data migration's own list, parents first, as that migration writes them: in
    bulk, without history rows (nobody changed a record), so a flushed database counts as empty
    again. An ordinary ``migrate``, with the catalogue in place, costs one query.
    """
    try:
        Clause = apps.get_model("processes", "Clause")
    except LookupError:  # migrated back before the clause table exists
        return
    catalogue = importlib.import_module(CLAUSE_CATALOGUE_MIGRATION)
    clauses = Clause.objects.using(using)
    if clauses.count() >= len(catalogue.CLAUSES):
        return
    deepest = max(number.count(".") for number, _ in catalogue.CLAUSES)
    for depth in range(deepest + 1):
        known = dict(clauses.values_list("number", "pk"))
        missing = [
            Clause(
                number=number,
                title=title,
                parent_id=known.get(number.rsplit(".", 1)[0]) if depth else None,
                sort_key=catalogue.sort_key(number),
            )
            for number, title in catalogue.CLAUSES
            if number.count(".") == depth and number not in known
        ]
        # history-exempt: reference data put back as its data migration writes it
        clauses.bulk_create(missing)


class ProcessesConfig(AppConfig):
    """Process definitions, KPIs, risks and opportunities (ISO 9001 clauses 4.4, 6.1, 9.1)."""

    name = "processes"
    verbose_name = _("Processes")

    def ready(self):
        from . import worklist  # noqa: F401  (registers the home-page provider)

        post_migrate.connect(restore_clause_catalogue, sender=self)
