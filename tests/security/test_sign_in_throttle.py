"""One address cannot lock out every account: accounts lock, addresses back off; every failed
sign-in is written to a log an administrator reads (read-only) in the admin."""

import time

import pytest
from django.urls import reverse

from qms_portal.organisation import throttling
from qms_portal.organisation.models import FailedSignIn
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

OFFICE_NAT = "192.0.2.10"  # every member of staff in the office signs in from this one address


def sign_in(client, username, password, address=OFFICE_NAT):
    response = client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )
    client.logout()
    return response


@pytest.fixture
def office(owner, colleague, outsider, quality_manager, auditor, administrator):
    return [owner, colleague, outsider, quality_manager, auditor]


def test_five_wrong_passwords_over_five_accounts_lock_nobody_out(client, office, settings):
    assert settings.LOGIN_FAILURE_LIMIT == 5  # the defaults: five per account, more per address
    for person in office:
        assert sign_in(client, person.username, "typo").status_code == 200
    for person in office:
        assert sign_in(client, person.username, PASSWORD).status_code == 302, person
    assert sign_in(client, "administrator", PASSWORD).status_code == 302


def test_the_account_lock_still_holds_for_that_account_alone(client, office, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        sign_in(client, "owner", "guess")
    assert sign_in(client, "owner", PASSWORD).status_code == 429
    assert sign_in(client, "owner", PASSWORD, address="198.51.100.7").status_code == 429
    assert sign_in(client, "colleague", PASSWORD).status_code == 302


def test_many_failures_from_one_address_back_off_with_a_growing_delay(client, office, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 4
    for number in range(4):  # an attacker sprays four names: the address's limit
        assert sign_in(client, f"ghost{number}", "guess").status_code == 200
    refused = sign_in(client, "colleague", PASSWORD)
    assert refused.status_code == 429
    assert "Wait 1 second and" in refused.content.decode()
    assert sign_in(client, "colleague", PASSWORD, address="198.51.100.7").status_code == 302

    time.sleep(1.1)  # waited: the next attempt is looked at, and fails again
    assert sign_in(client, "ghost9", "guess").status_code == 200
    assert "Wait 2 seconds" in sign_in(client, "colleague", PASSWORD).content.decode()
    time.sleep(2.1)  # not a lock: once the delay has passed, the right password signs in
    assert sign_in(client, "colleague", PASSWORD).status_code == 302


def test_failed_sign_ins_are_logged_with_their_reason(client, office, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    wrong = sign_in(client, "owner", "guess")
    unknown = sign_in(client, "nobody", "guess")
    assert wrong.content.decode().count("correct username and password") == 1
    assert unknown.content.decode().count("correct username and password") == 1  # same words
    sign_in(client, "owner", "guess", address="198.51.100.7")
    sign_in(client, "owner", PASSWORD)  # locked now: refused, and logged too
    sign_in(client, "colleague", PASSWORD)  # a success is not a failure
    logged = [
        (row.username, row.client_address, row.reason)
        for row in FailedSignIn.objects.order_by("pk")
    ]
    assert logged == [
        ("owner", OFFICE_NAT, FailedSignIn.Reason.WRONG_PASSWORD),
        ("nobody", OFFICE_NAT, FailedSignIn.Reason.UNKNOWN_ACCOUNT),
        ("owner", "198.51.100.7", FailedSignIn.Reason.WRONG_PASSWORD),
        ("owner", OFFICE_NAT, FailedSignIn.Reason.ACCOUNT_LOCKED),
    ]


def test_a_deactivated_account_is_logged_as_such(client, colleague):
    colleague.is_active = False
    colleague.save()
    assert sign_in(client, "colleague", PASSWORD).status_code == 200
    assert FailedSignIn.objects.get().reason == FailedSignIn.Reason.INACTIVE_ACCOUNT


def test_administrators_read_the_log_but_cannot_change_or_delete_it(
    client, administrator, outsider
):
    sign_in(client, "nobody", "guess")
    entry = FailedSignIn.objects.get()
    client.force_login(administrator)
    listing = client.get(reverse("admin:organisation_failedsignin_changelist"))
    assert listing.status_code == 200
    assert "nobody" in listing.content.decode() and OFFICE_NAT in listing.content.decode()
    delete_url = reverse("admin:organisation_failedsignin_delete", args=[entry.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    assert FailedSignIn.objects.filter(pk=entry.pk).exists()
    client.force_login(outsider)
    assert client.get(reverse("admin:organisation_failedsignin_changelist")).status_code == 302


def signed_in_browser(client, username):
    """The device cookie a successful sign-in leaves in this browser."""
    response = sign_in(client, username, PASSWORD)
    assert response.status_code == 302
    return response.cookies[throttling.DEVICE_COOKIE].value


def sign_in_from_device(client, username, password, device_cookie, address=OFFICE_NAT):
    client.cookies[throttling.DEVICE_COOKIE] = device_cookie
    return sign_in(client, username, password, address)


def test_an_empty_password_does_not_clear_the_failures_of_the_account(client, office, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        sign_in(client, "owner", "guess")
        assert sign_in(client, "owner", "").status_code == 200  # checks nothing, clears nothing
    sign_in(client, "owner", "guess")
    assert sign_in(client, "owner", PASSWORD).status_code == 429


def test_staff_at_their_own_browsers_sign_in_while_an_attacker_holds_the_office_back(
    client, office, settings
):
    """The attacker behind the same NAT locks the owner's account and drives the address into
    back-off; the owner and a colleague, at browsers they signed in from before, still get in."""
    owner_browser = signed_in_browser(client, "owner")
    colleague_browser = signed_in_browser(client, "colleague")
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 6
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        sign_in(client, "owner", "guess")
    sign_in(client, "ghost", "guess")  # the address's limit: backing off now
    assert sign_in(client, "owner", PASSWORD).status_code == 429  # an unknown browser waits
    assert sign_in(client, "auditor", PASSWORD).status_code == 429
    assert sign_in_from_device(client, "owner", PASSWORD, owner_browser).status_code == 302
    assert sign_in_from_device(client, "colleague", PASSWORD, colleague_browser).status_code == 302
    # a known browser of one account does not open another
    assert sign_in_from_device(client, "auditor", PASSWORD, owner_browser).status_code == 429


def test_a_known_browser_is_limited_on_its_own_count(client, office, settings):
    owner_browser = signed_in_browser(client, "owner")
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        assert sign_in_from_device(client, "owner", "guess", owner_browser).status_code == 200
    assert sign_in_from_device(client, "owner", PASSWORD, owner_browser).status_code == 429
    assert sign_in(client, "owner", PASSWORD).status_code == 302  # the account is not locked
    forged = owner_browser[:-2] + ("AA" if not owner_browser.endswith("AA") else "BB")
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        sign_in_from_device(client, "owner", "guess", forged)  # an altered cookie is no device
    assert sign_in(client, "owner", PASSWORD).status_code == 429


def test_a_locked_account_hammered_from_one_address_is_logged_once_a_minute(client, office):
    for _ in range(5):
        sign_in(client, "owner", "guess")
    for _ in range(50):
        assert sign_in(client, "owner", PASSWORD).status_code == 429
    reasons = list(FailedSignIn.objects.values_list("reason", flat=True))
    assert reasons.count(FailedSignIn.Reason.WRONG_PASSWORD) == 5
    assert reasons.count(FailedSignIn.Reason.ACCOUNT_LOCKED) == 1
