"""WeasyPrint, locked down (the project's one PDF renderer, in the kernel so that no app imports
another for it): the one way the project renders a PDF from HTML (evidence packs, audit
reports, review minutes, document control stamps and demo documents); the HTML may load nothing
but the files handed to it.

User text reaches the HTML through Django's autoescaping, so a title such as
``<img src="file:///etc/passwd">`` prints as text. As a second wall, the URL fetcher refuses
every URL — ``file:``, ``http(s):``, ``data:``, relative paths — except the few portal static
files listed in :data:`ALLOWED_STATIC` (read from the portal's own ``static/`` directory), and
records each refusal so tests and logs can show nothing was fetched.
"""

import logging
from pathlib import Path

from django.contrib.staticfiles import finders
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)

#: The only resources a portal PDF may load: ``portal-static:<name>`` for these names.
ALLOWED_STATIC = {"css/evidence_pack.css": "text/css"}
SCHEME = "portal-static:"


class FetchRefused(ValueError):
    """A URL the portal's PDF renderer will not load."""


class PortalOnlyFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that serves only :data:`ALLOWED_STATIC` and refuses the rest."""

    def __init__(self, allowed=None):
        super().__init__(timeout=1, allowed_protocols=(), allow_redirects=False)
        self.allowed = dict(ALLOWED_STATIC if allowed is None else allowed)
        self.served = []
        self.refused = []

    def fetch(self, url, headers=None):
        name = url[len(SCHEME) :] if url.startswith(SCHEME) else None
        if name is None or name not in self.allowed:
            self.refused.append(url)
            logger.warning("PDF rendering: refused to fetch %r", url[:200])
            raise FetchRefused(f"portal PDFs load only portal files, not {url[:80]!r}")
        path = finders.find(name)
        if not path:
            self.refused.append(url)
            raise FetchRefused(f"portal file {name!r} is missing")
        self.served.append(url)
        body = Path(path).read_bytes()
        return URLFetcherResponse(url, body, {"Content-Type": self.allowed[name]})


def render_pdf(html, *, identifier=None, fetcher=None):
    """PDF bytes and page count of ``html``, rendered with :class:`PortalOnlyFetcher` so a
    ``file:`` or ``http:`` reference that slipped past escaping loads nothing; ``identifier``
    (bytes) fixes the PDF /ID so the same HTML always gives the same bytes."""
    from weasyprint import HTML

    fetcher = fetcher or PortalOnlyFetcher()
    document = HTML(string=html, url_fetcher=fetcher, base_url=None).render()
    pdf = document.write_pdf(pdf_identifier=identifier) if identifier else document.write_pdf()
    return pdf, len(document.pages)
