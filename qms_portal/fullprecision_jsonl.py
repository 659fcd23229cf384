"""Django's JSON Lines fixture format, keeping microseconds, for backups of any size.

One record a line: written while the records are read and loaded line by line, so neither a
backup nor a restore ever holds all records in memory (Django's JSON format reads the whole
file at once). Loads into SQLite or PostgreSQL alike, like any Django fixture.
"""

from django.core.serializers import jsonl

from .fullprecision_json import FullPrecisionEncoder


class Serializer(jsonl.Serializer):
    def _init_options(self):
        super()._init_options()
        self.json_kwargs["cls"] = FullPrecisionEncoder


Deserializer = jsonl.Deserializer
