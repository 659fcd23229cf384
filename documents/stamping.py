"""Controlled-copy stamping of PDF downloads (ISO 9001 7.5.3.2: prevent unintended use).

Every page of the served copy carries the document number, revision, status, "Uncontrolled when
printed" and the download date; a superseded or obsolete revision also carries, across the top of
every page, a notice that it is no longer in force. The stored original is never changed.

The stamps of all the file's page sizes are rendered by one WeasyPrint call (one page per size),
not one call per size: a PDF of a hundred page sizes costs one layout, not a hundred. Stamping
runs in a child process bounded in time and memory (``qms_portal.bounded``); a file that needs
more is refused with :class:`StampingRefused`, never left to hold a web worker.
"""

import io
import logging

from django.conf import settings
from django.utils.html import escape
from django.utils.translation import gettext as _
from pypdf import PdfReader, PdfWriter

from qms_portal import bounded
from qms_portal.pdf import render_pdf  # the locked-down WeasyPrint call

logger = logging.getLogger(__name__)

STAMP_HTML = """<html><head><style>
@page {{ margin: 0; }}
{page_rules}
body {{ margin: 0; font-family: "DejaVu Sans", "Noto Sans CJK SC", sans-serif; }}
.sheet {{ position: relative; overflow: hidden; break-after: page; }}
.sheet:last-child {{ break-after: auto; }}
.stamp {{ position: absolute; left: 18pt; right: 18pt; bottom: 8pt; font-size: 7pt; color: #b3261e;
         border-top: 0.5pt solid #b3261e; padding-top: 2pt; display: flex; justify-content: space-between; }}
.notice {{ position: absolute; left: 18pt; right: 18pt; top: 8pt; font-size: 13pt; font-weight: bold;
          color: #b3261e; border: 1.5pt solid #b3261e; padding: 3pt; text-align: center; }}
</style></head><body>{sheets}</body></html>"""

PAGE_RULE = "@page size{n} {{ size: {width}pt {height}pt; }} .size{n} {{ page: size{n}; width: {width}pt; height: {height}pt; }}"

SHEET_HTML = """<div class="sheet size{n}">{notice}<div class="stamp"><span>{number} · {label} · {status}</span>
<span>UNCONTROLLED WHEN PRINTED · 打印件为非受控文件</span><span>{date}</span></div></div>"""

#: The notice across the top of a revision no longer in force, bilingual like the footer.
RETIRED_NOTICES = {
    "superseded": "SUPERSEDED — FOR REFERENCE ONLY · 已被替代 — 仅供参考",
    "obsolete": "OBSOLETE — NOT IN FORCE · 已作废 — 不再有效",
}


class StampingRefused(Exception):
    """The file could not be stamped within the portal's limits (or at all); the message says why."""


def _page_size(page):
    return (round(float(page.mediabox.width), 1), round(float(page.mediabox.height), 1))


def _stamp_pages(sizes, *, number, label, status, date, notice=""):
    """One stamp page per size in ``sizes``, in that order, from a single rendering."""
    texts = {
        "number": escape(number),
        "label": escape(label),
        "status": escape(status),
        "date": escape(date),
        "notice": f'<div class="notice">{escape(notice)}</div>' if notice else "",
    }
    html = STAMP_HTML.format(
        page_rules="\n".join(
            PAGE_RULE.format(n=n, width=width, height=height)
            for n, (width, height) in enumerate(sizes)
        ),
        sheets="".join(SHEET_HTML.format(n=n, **texts) for n in range(len(sizes))),
    )
    pages = PdfReader(io.BytesIO(render_pdf(html)[0])).pages
    return dict(zip(sizes, pages, strict=True))


def _stamp(source_bytes, texts):
    """The stamped bytes (runs in the bounded child)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(source_bytes)))
    sizes = list(dict.fromkeys(_page_size(page) for page in writer.pages))
    stamps = _stamp_pages(sizes, **texts)
    for page in writer.pages:
        page.merge_page(stamps[_page_size(page)])
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def stamped_pdf(source, *, number, label, status, date, notice=""):
    """Bytes of ``source`` (a binary file) with the control stamp merged onto every page, in the
    active language (the downloader's); "uncontrolled when printed" and ``notice`` (one of
    :data:`RETIRED_NOTICES`) are always bilingual. Raises :class:`StampingRefused` when the file
    cannot be stamped within ``QMS_STAMP_TIMEOUT_SECONDS`` and ``QMS_STAMP_MEMORY_MB``."""
    texts = {
        "number": number,
        "label": _("Rev. %(label)s") % {"label": label},
        "status": status,
        "date": _("Downloaded %(date)s") % {"date": date},
        "notice": notice,
    }
    try:
        return bounded.run_bounded(
            _stamp,
            source.read(),
            texts,
            timeout=settings.QMS_STAMP_TIMEOUT_SECONDS,
            memory_bytes=settings.QMS_STAMP_MEMORY_MB * 2**20,
            label=f"Stamping {number} rev. {label}",
        )
    except (bounded.BoundExceeded, bounded.BoundedWorkFailed) as error:
        logger.error("Controlled copy of %s rev. %s not stamped: %s", number, label, error)
        raise StampingRefused(str(error)) from error
