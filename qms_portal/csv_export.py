"""The one CSV export: streamed, with a BOM, translated headers and formula-safe cells.

Registers and lists are exported through :func:`csv_response`, so every export is equally safe: a
cell a person typed that starts with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage return) would
run as a formula in a spreadsheet (``=HYPERLINK(…)``), so it is written with a leading apostrophe;
the UTF-8 byte-order mark lets spreadsheet programs read Chinese names; rows are streamed, so a
register of 100,000 documents is never held in memory.
"""

import csv
from decimal import Decimal

from django.http import StreamingHttpResponse

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Spreadsheet-safe text of one cell (numbers and dates as text; ``None`` as empty)."""
    if value is None:
        return ""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return str(value)  # a negative number is a number, not a formula
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Echo:
    """A file-like object whose ``write`` returns what it was given (for streaming)."""

    def write(self, value):
        return value


def csv_rows(header, rows):
    """Lines of CSV text: the BOM and the header (translated when rendered), then each row."""
    writer = csv.writer(_Echo())
    yield BOM + writer.writerow([str(title) for title in header])
    for row in rows:
        yield writer.writerow([safe_cell(cell) for cell in row])


def csv_response(filename, header, rows):
    """A streamed ``text/csv`` attachment named ``filename`` with ``header`` and ``rows``.

    ``rows`` is any iterable (a generator over ``queryset.iterator()`` keeps memory flat)."""
    response = StreamingHttpResponse(csv_rows(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
