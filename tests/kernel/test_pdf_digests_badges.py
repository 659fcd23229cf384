"""The kernel's PDF renderer loads only portal files; digests stream; one status badge."""

import hashlib

import pytest
from django.core.files.base import ContentFile
from django.template import Context, Template
from django.utils.translation import gettext_lazy

from qms_portal import pdf
from qms_portal.digests import sha256_of_bytes, sha256_of_file
from qms_portal.statemachine import StateMachine, Tone, Transition


def test_a_pdf_renders_and_loads_nothing_but_the_portal_stylesheet():
    fetcher = pdf.PortalOnlyFetcher()
    html = (
        '<link rel="stylesheet" href="portal-static:css/evidence_pack.css">'
        '<img src="file:///etc/passwd"><img src="http://127.0.0.1:9/x.png"><p>Report</p>'
    )
    data, pages = pdf.render_pdf(html, fetcher=fetcher)
    assert data.startswith(b"%PDF-") and pages == 1
    assert fetcher.served == ["portal-static:css/evidence_pack.css"]
    assert set(fetcher.refused) == {"file:///etc/passwd", "http://127.0.0.1:9/x.png"}


def test_the_same_html_and_identifier_give_the_same_bytes():
    first, _ = pdf.render_pdf("<p>Same</p>", identifier=b"fixed")
    second, _ = pdf.render_pdf("<p>Same</p>", identifier=b"fixed")
    assert first == second


def test_file_digests_match_hashlib_for_paths_files_and_bytes(tmp_path):
    data = b"controlled copy " * 100_000
    path = tmp_path / "file.bin"
    path.write_bytes(data)
    expected = hashlib.sha256(data).hexdigest()
    assert sha256_of_file(path) == expected
    assert sha256_of_file(str(path)) == expected
    with path.open("rb") as handle:
        assert sha256_of_file(handle) == expected
    upload = ContentFile(data, name="x.bin")
    upload.read(10)
    assert sha256_of_file(upload) == expected
    assert upload.tell() == 0  # left ready to be stored
    assert sha256_of_bytes(data) == expected


class Lamp:
    def __init__(self, status):
        self.status = status

    def get_status_display(self):
        return {"on": "Lit", "off": "Dark"}[self.status]


StateMachine(
    Transition("switch", sources=["off"], target="on", label=gettext_lazy("switched on")),
    model=Lamp,
    tones={"on": Tone.OK},
)


@pytest.mark.parametrize(
    ("status", "expected"),
    [("on", '<span class="badge ok">Lit</span>'), ("off", '<span class="badge">Dark</span>')],
)
def test_the_status_badge_takes_label_and_tone_from_the_record_and_its_machine(status, expected):
    rendered = Template("{% status_badge lamp %}").render(Context({"lamp": Lamp(status)}))
    assert rendered.strip() == expected


def test_a_badge_without_a_machine_takes_label_and_tone_as_given():
    rendered = Template('{% status_badge label="Off target" tone="bad" %}').render(Context())
    assert rendered.strip() == '<span class="badge bad">Off target</span>'


def test_history_reasons_are_translated_by_a_template_filter():
    rendered = Template("{{ reason|history_reason }}").render(Context({"reason": "Back: typed"}))
    assert rendered.endswith(": typed")
