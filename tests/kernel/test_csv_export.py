"""The one CSV export is formula-safe, carries a BOM, translates its headers and streams."""

import csv
import io
from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext_lazy

from qms_portal.csv_export import csv_response, safe_cell


def read(response):
    return b"".join(response.streaming_content).decode("utf-8")


def test_cells_that_a_spreadsheet_would_run_as_formulas_are_written_as_text():
    for dangerous in ('=HYPERLINK("http://x","y")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(dangerous) == "'" + dangerous
    assert safe_cell("Plain title") == "Plain title"
    assert safe_cell(-3) == "-3" and safe_cell(Decimal("-1.5")) == "-1.5"
    assert safe_cell(None) == ""


def test_an_export_starts_with_a_bom_and_a_translated_header():
    translation.activate("zh-hans")
    response = csv_response("register.csv", [gettext_lazy("Back")], [["=cmd"]])
    text = read(response)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] != ["Back"]  # the header is in the reader's language
    assert rows[1] == ["'=cmd"]
    assert response["Content-Disposition"] == 'attachment; filename="register.csv"'
    assert response["Content-Type"].startswith("text/csv")


def test_rows_are_produced_while_streaming_not_before():
    produced = []

    def rows():
        for number in range(3):
            produced.append(number)
            yield [number]

    response = csv_response("x.csv", ["n"], rows())
    assert produced == []
    read(response)
    assert produced == [0, 1, 2]
