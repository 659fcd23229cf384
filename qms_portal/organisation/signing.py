"""Password re-entry for electronic signatures, throttled like sign-in.

A signature form asks for the signer's password again. Wrong passwords there count toward the same
account lock as failed sign-ins (``throttling``), so a hijacked session cannot guess the password
on a signing form: once the limit is reached, signing and sign-in are refused until the window has
passed.
"""

from django.conf import settings
from django.utils.translation import gettext as _

from . import throttling


def confirm_signature_password(signer, password, *, error, wrong_password_message):
    """Check the password a signer re-entered; raise ``error`` with a clear message if refused.

    ``error`` and ``wrong_password_message`` are the calling module's own (``DocumentError``,
    ``AuditRuleError``…), so its views show the refusal as they show any other.
    """
    username = signer.get_username()
    if throttling.is_locked_out(username, None):
        raise error(
            _(
                "Too many wrong passwords. For your security, signing and sign-in are locked for "
                "%(minutes)d minutes; wait and try again, or ask an administrator to reset your "
                "password. Nothing was signed."
            )
            % {"minutes": max(1, settings.LOGIN_FAILURE_WINDOW_SECONDS // 60)}
        )
    if not password:
        raise error(wrong_password_message)
    if not signer.check_password(password):
        throttling.record_failure(username, None)
        raise error(wrong_password_message)
    throttling.clear_failures(username)
