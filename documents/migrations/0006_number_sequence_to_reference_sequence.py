"""Document numbers come from the shared reference sequences (one row per agency, kind and year):
each NumberSequence's last value is carried over to the sequence of its prefix and department, so
no number is given twice, and the old table is dropped."""

from django.db import migrations

# As documents.models.DEFAULT_PREFIXES when this was written (migrations never import app code).
DEFAULT_PREFIXES = {
    "manual": "QM",
    "policy": "POL",
    "procedure": "PRO",
    "instruction": "WI",
    "form": "FRM",
    "record": "REC",
    "external": "EXT",
}
DEFAULT_FORMAT = "{prefix}-{department}-{sequence:03d}"


def carry_over(apps, schema_editor):
    from django.utils import timezone

    NumberSequence = apps.get_model("documents", "NumberSequence")
    NumberingScheme = apps.get_model("documents", "NumberingScheme")
    ReferenceSequence = apps.get_model("organisation", "ReferenceSequence")
    schemes = {
        (s.agency_id, s.doc_type): (s.prefix, s.number_format)
        for s in NumberingScheme.objects.all()
    }
    year_now = timezone.localdate().year
    for sequence in NumberSequence.objects.select_related("department"):
        prefix, number_format = schemes.get(
            (sequence.agency_id, sequence.doc_type),
            (DEFAULT_PREFIXES.get(sequence.doc_type, sequence.doc_type.upper()), DEFAULT_FORMAT),
        )
        row, _created = ReferenceSequence.objects.get_or_create(
            agency_id=sequence.agency_id,
            kind=f"{prefix}-{sequence.department.code}"[:40],
            year=year_now if "{year" in number_format else 0,
        )
        if sequence.last_value > row.last_value:
            row.last_value = sequence.last_value
            row.save(update_fields=["last_value"])


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0005_historicalacknowledgement_chain_position_and_more"),
        ("organisation", "0004_reference_sequence"),
    ]

    operations = [
        migrations.RunPython(carry_over, migrations.RunPython.noop),
        migrations.DeleteModel(name="NumberSequence"),
    ]
