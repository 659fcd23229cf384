"""The generated process map: valid SVG, lanes by category, clickable, legible at 60 processes."""

from xml.etree import ElementTree as ET

import pytest
from django.urls import reverse

from processes.models import Process
from qms_portal import charts

from .conftest import make_process, make_processes

pytestmark = pytest.mark.django_db
NS = {"s": "http://www.w3.org/2000/svg"}


def node_boxes(root):
    return [
        (float(r.get("x")), float(r.get("y")), float(r.get("width")), float(r.get("height")))
        for a in root.iterfind(".//s:a", NS)
        for r in a.iterfind("s:rect", NS)
    ]


def overlaps(a, b):
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def test_map_of_60_processes_is_valid_svg_with_a_clickable_box_for_each(
    client, owner, department_a
):
    processes = make_processes(60, owner=owner, department=department_a)
    client.force_login(owner)
    response = client.get(reverse("processes:map_svg"))
    assert response.status_code == 200 and response["Content-Type"].startswith("image/svg+xml")
    root = ET.fromstring(response.content)
    links = {a.get("href") for a in root.iterfind(".//s:a", NS)}
    assert links == {p.get_absolute_url() for p in processes}
    boxes = node_boxes(root)
    assert len(boxes) == 60
    assert not any(overlaps(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])
    width = float(root.get("width"))
    assert all(x >= 0 and x + w <= width for x, _, w, _ in boxes)
    assert len(root.findall(".//s:path[@marker-end]", NS)) == 60
    labels = [t.text for t in root.iterfind("s:text", NS)]
    assert labels == ["Management (20)", "Core (20)", "Support (20)"]


def test_lanes_are_ordered_management_core_support(client, owner, department_a):
    make_processes(9, owner=owner, department=department_a)
    client.force_login(owner)
    root = ET.fromstring(client.get(reverse("processes:map_svg")).content)
    lane_y = {t.text.split(" ")[0]: float(t.get("y")) for t in root.iterfind("s:text", NS)}
    assert lane_y["Management"] < lane_y["Core"] < lane_y["Support"]
    y_of = {
        a.get("href"): float(a.find("s:rect", NS).get("y")) for a in root.iterfind(".//s:a", NS)
    }
    for process in Process.objects.all():
        lane = {"management": "Management", "core": "Core", "support": "Support"}[process.category]
        assert y_of[process.get_absolute_url()] > lane_y[lane] - 30


def test_text_people_typed_is_escaped(client, owner, department_a):
    make_process(
        code="X-01", owner=owner, department=department_a, name='<script>alert("x")</script> & Co'
    )
    client.force_login(owner)
    body = client.get(reverse("processes:map")).content.decode()
    assert "<script>alert" not in body
    assert "&lt;script&gt;" in body
    ET.fromstring(client.get(reverse("processes:map_svg")).content)


def test_long_and_chinese_names_are_shortened_to_fit_the_box():
    assert charts.shorten("行政许可审批 Administrative licensing and permits", 27).endswith("…")
    assert charts.display_width(charts.shorten("行政许可审批行政许可审批行政许可审批", 27)) <= 27
    assert charts.shorten("Short", 27) == "Short"


def test_the_map_of_the_demo_agency_renders():
    from django.core.management import call_command
    from django.test import Client

    from qms_portal.organisation.models import Person

    call_command("seed_demo", stdout=open("/dev/null", "w"))
    client = Client()
    client.force_login(Person.objects.get(username="qm.li"))
    root = ET.fromstring(client.get(reverse("processes:map_svg")).content)
    assert len(node_boxes(root)) == Process.objects.filter(is_active=True).count() >= 12
    assert client.get(reverse("processes:map")).status_code == 200
