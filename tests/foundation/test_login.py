"""Signing in and out, throttling of failed sign-ins, password change, language preference."""

import pytest
from django.urls import reverse

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def sign_in(client, username, password, address="10.0.0.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_correct_password_signs_in_and_lands_on_my_work(client, owner):
    response = sign_in(client, "owner", PASSWORD)
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_wrong_password_is_refused_with_a_message(client, owner):
    response = sign_in(client, "owner", "wrong")
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()


def test_repeated_failures_lock_the_account_even_with_the_right_password(client, owner, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        assert sign_in(client, "owner", "wrong").status_code == 200
    response = sign_in(client, "owner", PASSWORD)
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_lockout_counts_per_account_across_addresses(client, owner, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for number in range(3):
        sign_in(client, "OWNER", "wrong", address=f"10.0.0.{number}")
    assert sign_in(client, "owner", PASSWORD, address="10.9.9.9").status_code == 429


def test_an_address_past_its_own_limit_backs_off_for_every_account(
    client, owner, colleague, settings
):
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 6
    for name in ["a", "b", "c", "d", "e"]:
        sign_in(client, name, "wrong", address="10.1.1.1")
    assert sign_in(client, "colleague", PASSWORD, address="10.1.1.1").status_code == 302
    client.logout()
    sign_in(client, "f", "wrong", address="10.1.1.1")  # the address's sixth failure
    response = sign_in(client, "colleague", PASSWORD, address="10.1.1.1")
    assert response.status_code == 429
    assert "from your network" in response.content.decode()
    assert sign_in(client, "colleague", PASSWORD, address="10.2.2.2").status_code == 302


def test_success_before_the_limit_clears_the_account_count(client, owner, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    sign_in(client, "owner", "wrong", address="10.0.0.5")
    sign_in(client, "owner", "wrong", address="10.0.0.6")
    assert sign_in(client, "owner", PASSWORD, address="10.0.0.7").status_code == 302
    client.logout()
    sign_in(client, "owner", "wrong", address="10.0.0.8")
    assert sign_in(client, "owner", PASSWORD, address="10.0.0.9").status_code == 302


def test_sign_out_is_a_post_and_ends_the_session(client, owner):
    client.force_login(owner)
    assert client.get(reverse("logout")).status_code == 405
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_password_change_requires_the_old_password(client, owner):
    client.force_login(owner)
    url = reverse("password_change")
    bad = client.post(
        url,
        {
            "old_password": "nope",
            "new_password1": "A-much-better-pass-1",
            "new_password2": "A-much-better-pass-1",
        },
    )
    assert bad.status_code == 200
    good = client.post(
        url,
        {
            "old_password": PASSWORD,
            "new_password1": "A-much-better-pass-1",
            "new_password2": "A-much-better-pass-1",
        },
    )
    assert good.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password("A-much-better-pass-1")


def test_language_choice_is_remembered_on_the_account(client, owner):
    client.force_login(owner)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    owner.refresh_from_db()
    assert owner.language == "en"
    assert client.get(reverse("home"))["Content-Language"] == "en"
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert client.get(reverse("home"))["Content-Language"] == "zh-hans"


def test_unknown_language_is_refused_without_error(client, owner):
    client.force_login(owner)
    response = client.post(
        reverse("set_language"), {"language": "xx", "next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert response.url == "/"


def test_error_pages_use_the_portal_layout(client, owner):
    client.force_login(owner)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "QMS Portal" in response.content.decode()


def test_admin_works_for_administrators_with_history(client, administrator, department_a):
    client.force_login(administrator)
    assert client.get(reverse("admin:organisation_department_changelist")).status_code == 200
    url = reverse("admin:organisation_department_history", args=[department_a.pk])
    assert client.get(url).status_code == 200


def _urls(**views):
    """The portal's URLs plus the given views (and Django's default error handlers)."""
    from django.urls import include, path

    patterns = [path(f"{n}/", v) for n, v in views.items()] + [path("", include("qms_portal.urls"))]
    return type("urls", (), {"urlpatterns": patterns})


def test_refusals_and_server_errors_use_the_portal_pages(client, outsider, settings):
    from django.core.exceptions import PermissionDenied

    def refused(request):
        raise PermissionDenied("Only heads of department may do this.")

    def broken(request):
        raise RuntimeError("boom")

    settings.ROOT_URLCONF = _urls(refused=refused, broken=broken)
    client.force_login(outsider)
    response = client.get("/refused/")
    page = response.content.decode()
    assert response.status_code == 403
    assert "Only heads of department may do this." in page and 'class="footer"' in page

    client.raise_request_exception = False
    response = client.get("/broken/")
    page = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in page and "系统出错" in page and "Nothing was saved" in page
