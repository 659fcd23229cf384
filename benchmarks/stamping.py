"""Stamping a controlled copy of a PDF with many page sizes: one rendering, next to one per size.

    .venv/bin/python benchmarks/stamping.py [--sizes 100] [--rounds 2]

Builds the tester's case (a ~12 KB PDF of N blank pages, each of its own size) and, in alternate
rounds, times the portal's stamping (`documents.stamping.stamped_pdf`: the stamps of every size
from one WeasyPrint rendering, in the bounded child process) and the baseline, the former way:
one WeasyPrint rendering per page size, merged in this process. Prints each round and the medians.
"""

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qms_portal.settings")

import django  # noqa: E402

django.setup()

from pypdf import PdfReader, PdfWriter  # noqa: E402

from documents import stamping  # noqa: E402

TEXTS = {"number": "PRO-FIN-001", "label": "A", "status": "Effective", "date": "2026-12-03"}


def many_sizes_pdf(count):
    writer = PdfWriter()
    for n in range(count):
        writer.add_blank_page(width=300 + 3 * n, height=400 + 5 * n)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def one_rendering_per_size(source):
    """The baseline: what stamping did before, a WeasyPrint call for each distinct page size."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(source)))
    stamps = {}
    for page in writer.pages:
        size = stamping._page_size(page)
        if size not in stamps:
            stamps[size] = stamping._stamp_pages([size], **TEXTS)[size]
        page.merge_page(stamps[size])
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def timed(func):
    started = time.perf_counter()
    func()
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    source = many_sizes_pdf(args.sizes)
    print(f"PDF of {args.sizes} page sizes, {len(source) / 1024:.1f} KB")
    portal, baseline = [], []
    for round_number in range(1, args.rounds + 1):
        portal.append(timed(lambda: stamping.stamped_pdf(io.BytesIO(source), **TEXTS)))
        baseline.append(timed(lambda: one_rendering_per_size(source)))
        print(
            f"round {round_number}: one rendering {portal[-1]:.2f} s, "
            f"one per size (baseline) {baseline[-1]:.2f} s",
            flush=True,
        )
    value, base = statistics.median(portal), statistics.median(baseline)
    print(
        f"RESULT stamping seconds_{args.sizes}_sizes={value:.2f} baseline={base:.2f} ratio={value / base:.2f}"
    )


if __name__ == "__main__":
    main()
