"""A citizen's photo reaches staff without its EXIF: no GPS position, no author, upright."""

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from qms_portal.digests import sha256_of_bytes
from services.models import RequestPhoto
from tests.documents.conftest import png_declaring
from tests.services.conftest import SECRET_CONTACT, make_request, photo_with_gps

pytestmark = pytest.mark.django_db


def submitted_photo(service):
    request = make_request(service, photos=[photo_with_gps()])
    return request, request.photos.get()


def test_the_stored_photo_has_no_exif_and_its_recorded_hash_and_size_are_its_own(service):
    _request, photo = submitted_photo(service)
    with photo.file.open("rb") as handle:
        stored = handle.read()
    image = Image.open(io.BytesIO(stored))
    assert not image.getexif()  # no GPS IFD, no Artist, no Orientation
    assert "exif" not in image.info and SECRET_CONTACT["citizen_name"].encode() not in stored
    assert image.size == (48, 64)  # turned upright by its orientation before it was dropped
    assert photo.sha256 == sha256_of_bytes(stored) and photo.file_size == len(stored)


def test_staff_see_the_photo_without_its_gps_position(client, owner, service):
    request, photo = submitted_photo(service)
    client.force_login(owner)
    response = client.get(reverse("services:photo", args=[request.pk, photo.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert not Image.open(io.BytesIO(response.content)).getexif()


def test_a_photo_stored_with_its_exif_before_the_cleaning_is_served_clean(client, owner, service):
    request = make_request(service)
    original = photo_with_gps().read()
    photo = RequestPhoto(
        request=request,
        original_filename="old.jpg",
        file_kind="jpeg",
        file_size=len(original),
        sha256=sha256_of_bytes(original),
        storage_name="services/old.jpg",
    )
    photo.file.save("services/old.jpg", ContentFile(original), save=False)
    photo.save()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # it is there, stored
    client.force_login(owner)
    response = client.get(reverse("services:photo", args=[request.pk, photo.pk]))
    assert response.status_code == 200
    served = Image.open(io.BytesIO(response.content))
    assert not served.getexif() and served.size == (48, 64)


def test_a_photo_of_forty_thousand_pixels_square_is_refused_on_the_form(client, service):
    huge = SimpleUploadedFile("huge.png", png_declaring(40_000, 40_000), content_type="image/png")
    response = client.post(
        reverse("services:service", args=[service.code]),
        {
            "description": "Look at this.",
            "q_AMOUNT": "1",
            "q_METHOD": "card",
            "q_DOCS": ["receipt"],
            "photos": [huge],
            **SECRET_CONTACT,
        },
    )
    assert response.status_code == 400  # the form again, with the reason
    assert "40000 × 40000 pixels" in str(response.context["form"].errors["photos"])
    assert not RequestPhoto.objects.exists()
