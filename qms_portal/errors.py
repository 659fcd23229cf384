"""One kind of domain error, and one way a view turns it into something a person can act on.

Every rule a workflow enforces raises a subclass of :class:`RuleError` whose message says what to
do instead ("Only the named approver can approve revision B of PRO-FIN-003."). Views call the
workflow through :func:`apply_rule` (the refusal becomes a form error, the form keeps what was
typed) or :func:`refused` (a 4xx page with a way back). :class:`RuleErrorMiddleware` is the safety
net: a ``RuleError`` no view caught is still a 4xx page, never a 500.
"""

from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme


class RuleError(Exception):
    """A change that breaks a rule; the message says what to do instead.

    ``status_code`` is the HTTP status of the refusal page: 409 (the record's state or another
    record forbids it) unless a domain says otherwise.
    """

    status_code = 409


def message_of(error):
    """The person-readable text of a ``RuleError`` or a ``ValidationError``."""
    if isinstance(error, ValidationError):
        return " ".join(str(message) for message in error.messages)
    return str(error)


def apply_rule(form, call):
    """Run a workflow call; a broken rule (or a validation error raised by the workflow) becomes a
    non-field error on ``form``. Returns the call's result, or ``None`` when it was refused."""
    try:
        return call()
    except (RuleError, ValidationError) as error:
        form.add_error(None, message_of(error))
        return None


def status_of(error, default=400):
    """The 4xx status of a refusal: the error's own for a ``RuleError``, else ``default``."""
    return getattr(error, "status_code", default)


def refused(request, error, *, back, template="refused.html", status=None, context=None):
    """The refusal page: what was not done and why, a link back, a 4xx status."""
    message = error if isinstance(error, str) else message_of(error)
    return render(
        request,
        template,
        {"message": message, "back": back, **(context or {})},
        status=status or status_of(error),
    )


class RuleErrorMiddleware:
    """A ``RuleError`` that reached no handler is a refusal page (4xx), never a server error."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, RuleError):
            back = request.META.get("HTTP_REFERER", "")
            if not url_has_allowed_host_and_scheme(
                back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            ):
                back = "/"
            return refused(request, exception, back=back)
        return None
