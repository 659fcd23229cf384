"""Controlled-copy stamping of PDF downloads (ISO 9001 7.5.3.2: prevent unintended use).

Every page of the served copy carries the document number, revision, status, "Uncontrolled when
printed" and the download date; a superseded or obsolete revision also carries, across the top of
every page, a notice that it is no longer in force. The stored original is never changed.
"""

import io

from django.utils.html import escape
from django.utils.translation import gettext as _
from pypdf import PdfReader, PdfWriter

from qms_portal.pdf import render_pdf  # the locked-down WeasyPrint call

STAMP_HTML = """<html><head><style>
@page {{ size: {width}pt {height}pt; margin: 0; }}
body {{ margin: 0; font-family: "DejaVu Sans", "Noto Sans CJK SC", sans-serif; }}
.stamp {{ position: absolute; left: 18pt; right: 18pt; bottom: 8pt; font-size: 7pt; color: #b3261e;
         border-top: 0.5pt solid #b3261e; padding-top: 2pt; display: flex; justify-content: space-between; }}
.notice {{ position: absolute; left: 18pt; right: 18pt; top: 8pt; font-size: 13pt; font-weight: bold;
          color: #b3261e; border: 1.5pt solid #b3261e; padding: 3pt; text-align: center; }}
</style></head><body>{notice}<div class="stamp"><span>{number} · {label} · {status}</span>
<span>UNCONTROLLED WHEN PRINTED · 打印件为非受控文件</span><span>{date}</span></div></body></html>"""

#: The notice across the top of a revision no longer in force, bilingual like the footer.
RETIRED_NOTICES = {
    "superseded": "SUPERSEDED — FOR REFERENCE ONLY · 已被替代 — 仅供参考",
    "obsolete": "OBSOLETE — NOT IN FORCE · 已作废 — 不再有效",
}


def _stamp_page(width, height, *, number, label, status, date, notice=""):
    html = STAMP_HTML.format(
        notice=f'<div class="notice">{escape(notice)}</div>' if notice else "",
        width=width,
        height=height,
        number=escape(number),
        label=escape(label),
        status=escape(status),
        date=escape(date),
    )
    return PdfReader(io.BytesIO(render_pdf(html)[0])).pages[0]


def stamped_pdf(source, *, number, label, status, date, notice=""):
    """Bytes of ``source`` (a binary file) with the control stamp merged onto every page, in the
    active language (the downloader's); "uncontrolled when printed" and ``notice`` (one of
    :data:`RETIRED_NOTICES`) are always bilingual."""
    label = _("Rev. %(label)s") % {"label": label}
    date = _("Downloaded %(date)s") % {"date": date}
    writer = PdfWriter(clone_from=PdfReader(source))
    stamps = {}
    for page in writer.pages:
        size = (round(float(page.mediabox.width), 1), round(float(page.mediabox.height), 1))
        if size not in stamps:  # one rendering per page size, not per page
            stamps[size] = _stamp_page(
                *size, number=number, label=label, status=status, date=date, notice=notice
            )
        page.merge_page(stamps[size])
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()
