"""A GIN index on the words of every revision's text, for the register search on PostgreSQL.

Built from the same expression the search uses (``documents.models.revision_text_vector``:
``SearchVector("extracted_text", config="simple")``), written out here so the migration does not
import app code; the planner only uses the index while both stay the same. SQLite searches by
substring and gets no index.
"""

from django.db import migrations

INDEX_NAME = "documents_revision_text_fts"


def index():
    from django.contrib.postgres.indexes import GinIndex
    from django.contrib.postgres.search import SearchVector

    return GinIndex(SearchVector("extracted_text", config="simple"), name=INDEX_NAME)


def add_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(apps.get_model("documents", "Revision"), index())


def remove_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(apps.get_model("documents", "Revision"), index())


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]

    operations = [migrations.RunPython(add_index, remove_index)]
