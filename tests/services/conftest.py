"""A small catalogue for the services tests: department A (FIN) runs two public services."""

from datetime import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from services import intake, workflow
from services.models import ApiKey, Service, ServiceQuestion, ServiceRequest

PNG_BYTES = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cf"
    "c0f01f0005000201e2213c5d0000000049454e44ae426082"
)
SECRET_CONTACT = {
    "citizen_name": "Zhang Secretname",
    "citizen_email": "secret.citizen@example.org",
    "citizen_phone": "+86 139 0000 1234",
}


def png(name="photo.png"):
    return SimpleUploadedFile(name, PNG_BYTES, content_type="image/png")


#: Where the citizen stood, as a phone writes it into a photo's EXIF (GPS IFD tags 1-4).
GPS_POSITION = {1: "N", 2: (22.0, 34.0, 44.0), 3: "E", 4: (113.0, 4.0, 53.0)}


def photo_with_gps(name="pothole.jpg"):
    """A JPEG as a phone makes it: EXIF with the GPS position, the author and the orientation
    (6: the camera was turned, the picture is to be shown rotated)."""
    import io

    from PIL import Image

    exif = Image.Exif()
    exif[0x013B] = SECRET_CONTACT["citizen_name"]  # Artist
    exif[0x0112] = 6  # Orientation
    exif[0x8825] = GPS_POSITION
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "orange").save(buffer, "JPEG", exif=exif.tobytes())
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def local(*args):
    return timezone.make_aware(datetime(*args))


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def service(agency, department_a):
    service = Service.objects.create(
        agency=agency,
        code="FIN-REFUND",
        name_zh="退费",
        name_en="Refund of a fee",
        description_en="Get back a fee paid twice.",
        department=department_a,
        commitment_days=3,
        group="payments",
        service_notice="We reply within 3 working days.",
    )
    ServiceQuestion.objects.create(
        service=service,
        code="AMOUNT",
        text_zh="金额",
        text_en="Amount",
        kind=ServiceQuestion.Kind.NUMBER,
        required=True,
        order=1,
    )
    ServiceQuestion.objects.create(
        service=service,
        code="METHOD",
        text_zh="方式",
        text_en="How did you pay?",
        kind=ServiceQuestion.Kind.SINGLE,
        required=False,
        order=2,
        choices="cash|Cash\ncard|Bank card",
    )
    ServiceQuestion.objects.create(
        service=service,
        code="DOCS",
        text_zh="材料",
        text_en="Documents you have",
        kind=ServiceQuestion.Kind.MULTIPLE,
        required=False,
        order=3,
        choices="receipt|Receipt\nid|ID card",
    )
    return service


@pytest.fixture
def simple_service(agency, department_a):
    return Service.objects.create(
        agency=agency,
        code="FIN-ADVICE",
        name_zh="咨询",
        name_en="Advice",
        department=department_a,
        commitment_days=5,
        open311_type=Service.Open311Type.BATCH,
    )


@pytest.fixture
def api_key(db):
    return ApiKey.objects.create(name="Test client")


def make_request(service, *, at=None, answers=None, photos=(), **data):
    questions = list(service.questions.all())
    raw = answers if answers is not None else {q.code: ["12"] for q in questions if q.required}
    submission = intake.clean_submission(
        questions=questions,
        data={"description": "Paid twice for a licence", **SECRET_CONTACT, **data},
        raw_answers=raw,
    )
    return workflow.submit_request(
        service=service,
        submission=submission,
        channel=ServiceRequest.Channel.WEB,
        at=at,
        photos=photos,
    )


@pytest.fixture
def citizen_request(service):
    return make_request(service, address="1 Jianshe Road", lat="22.579", long="113.0815")
