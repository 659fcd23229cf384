"""Validation of what a citizen submits, the same for the public form and the Open311 API.

Everything is checked before anything is written, so a bad submission leaves nothing behind.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.utils.translation import gettext as _

from qms_portal.security import has_control_characters

from .models import ServiceQuestion

MAX_DESCRIPTION = 4000  # Open311: free-form text limited to 4,000 characters
MAX_SHORT_ANSWER = 300
MAX_LONG_ANSWER = 2000
MAX_ADDRESS = 300
Kind = ServiceQuestion.Kind


class SubmissionError(Exception):
    """The submission cannot be accepted; ``errors`` lists (field, message) a person can act on."""

    def __init__(self, errors):
        super().__init__("; ".join(message for _field, message in errors))
        self.errors = errors


@dataclass
class Submission:
    description: str = ""
    answers: dict = field(default_factory=dict)
    citizen_name: str = ""
    citizen_email: str = ""
    citizen_phone: str = ""
    address: str = ""
    address_id: str = ""
    zipcode: str = ""
    lat: Decimal | None = None
    long: Decimal | None = None
    media_url: str = ""
    device_id: str = ""
    account_id: str = ""


def control_character_error(name):
    return (
        name,
        _("%(field)s contains control characters (such as NUL); remove them and send it again.")
        % {"field": name},
    )


def check_fields(data, answers=None):
    """Raise :class:`SubmissionError` when any field name or value (answers included) holds
    control characters, so a client's raw fields can be checked before they reach a query."""
    errors = []
    for name, value in data.items():
        if has_control_characters(name):
            errors.append(("fields", _("A field name contains control characters.")))
        elif has_control_characters(value or "", multiline=True):
            errors.append(control_character_error(name))
    for code, values in (answers or {}).items():
        if has_control_characters(code):
            errors.append(("attribute", _("An attribute code contains control characters.")))
        elif any(has_control_characters(v or "", multiline=True) for v in values):
            errors.append(control_character_error(f"attribute[{code}]"))
    if errors:
        raise SubmissionError(errors)


def _text(value, limit, name, errors, *, multiline=False):
    value = value or ""
    if has_control_characters(value, multiline=multiline):
        errors.append(control_character_error(name))
        return ""
    value = value.strip()
    if len(value) > limit:
        errors.append(
            (
                name,
                _("%(field)s is limited to %(limit)d characters.")
                % {"field": name, "limit": limit},
            )
        )
    return value[:limit]


def _coordinate(value, name, low, high, errors):
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        errors.append((name, _("%(field)s must be a number.") % {"field": name}))
        return None
    if not number.is_finite() or not low <= number <= high:
        errors.append(
            (
                name,
                _("%(field)s must be between %(low)s and %(high)s.")
                % {"field": name, "low": low, "high": high},
            )
        )
        return None
    return number.quantize(Decimal("0.000001"))


def clean_answer(question, values):
    """One question's answer from the raw submitted values (a list of strings)."""
    if any(has_control_characters(v, multiline=True) for v in values):
        raise ValidationError(
            _("The answer to “%(question)s” contains control characters (such as NUL).")
            % {"question": question.text}
        )
    values = [str(v).strip() for v in values if str(v).strip()]
    if not values:
        if question.required:
            raise ValidationError(
                _("Answer the question “%(question)s”.") % {"question": question.text}
            )
        return None
    if question.kind == Kind.MULTIPLE:
        keys = {key for key, _name in question.choice_list}
        unknown = [v for v in values if v not in keys]
        if unknown:
            raise ValidationError(
                _("“%(value)s” is not one of the choices for “%(question)s”.")
                % {"value": unknown[0], "question": question.text}
            )
        return sorted(set(values), key=values.index)
    if len(values) > 1:
        raise ValidationError(_("Give one answer to “%(question)s”.") % {"question": question.text})
    value = values[0]
    if question.kind == Kind.SINGLE:
        if value not in {key for key, _name in question.choice_list}:
            raise ValidationError(
                _("“%(value)s” is not one of the choices for “%(question)s”.")
                % {"value": value, "question": question.text}
            )
        return value
    if question.kind == Kind.NUMBER:
        try:
            number = Decimal(value)
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            raise ValidationError(_("“%(question)s” needs a number.") % {"question": question.text})
        return str(number)
    if question.kind == Kind.DATE:
        try:
            return datetime.date.fromisoformat(value[:10]).isoformat()
        except ValueError:
            raise ValidationError(
                _("“%(question)s” needs a date such as 2026-03-31.") % {"question": question.text}
            ) from None
    limit = MAX_SHORT_ANSWER if question.kind == Kind.STRING else MAX_LONG_ANSWER
    if len(value) > limit:
        raise ValidationError(
            _("The answer to “%(question)s” is limited to %(limit)d characters.")
            % {"question": question.text, "limit": limit}
        )
    return value


def clean_answers(questions, raw):
    """All answers: ``raw`` maps question code to a list of values. Returns (answers, errors)."""
    answers, errors = {}, []
    known = {question.code for question in questions}
    for code in raw:
        if has_control_characters(code):
            errors.append(("attribute", _("An attribute code contains control characters.")))
        elif code not in known:
            errors.append(
                (
                    f"attribute[{code}]",
                    _("The service has no question “%(code)s”.") % {"code": code},
                )
            )
    for question in questions:
        try:
            value = clean_answer(question, raw.get(question.code, []))
        except ValidationError as error:
            errors.append((f"attribute[{question.code}]", error.messages[0]))
            continue
        if value is not None:
            answers[question.code] = value
    return answers, errors


def clean_submission(
    *, questions, data, raw_answers, require_location=False, require_description=False
):
    """Check a submission; return a :class:`Submission` or raise :class:`SubmissionError`."""
    errors = []
    submission = Submission(
        description=_text(
            data.get("description"), MAX_DESCRIPTION, "description", errors, multiline=True
        ),
        citizen_name=_text(data.get("citizen_name"), 120, "name", errors),
        citizen_email=_text(data.get("citizen_email"), 254, "email", errors),
        citizen_phone=_text(data.get("citizen_phone"), 40, "phone", errors),
        address=_text(data.get("address"), MAX_ADDRESS, "address_string", errors, multiline=True),
        address_id=_text(data.get("address_id"), 60, "address_id", errors),
        zipcode=_text(data.get("zipcode"), 20, "zipcode", errors),
        lat=_coordinate(data.get("lat"), "lat", -90, 90, errors),
        long=_coordinate(data.get("long"), "long", -180, 180, errors),
        media_url=_text(data.get("media_url"), 500, "media_url", errors),
        device_id=_text(data.get("device_id"), 100, "device_id", errors),
        account_id=_text(data.get("account_id"), 100, "account_id", errors),
    )
    if require_description and not submission.description:
        errors.append(("description", _("Describe what you need or what is wrong.")))
    if submission.citizen_email:
        try:
            EmailValidator()(submission.citizen_email)
        except ValidationError:
            errors.append(("email", _("Enter a valid e-mail address, or leave it empty.")))
    if submission.media_url:
        try:
            URLValidator(schemes=["http", "https"])(submission.media_url)
        except ValidationError:
            errors.append(("media_url", _("media_url must be an http or https address.")))
    has_lat, has_long = data.get("lat") not in (None, ""), data.get("long") not in (None, "")
    if has_lat != has_long:
        errors.append(("lat", _("Send both lat and long, or neither.")))
    has_point = has_lat and has_long  # an invalid point is reported above, not as missing
    if require_location and not (has_point or submission.address or submission.address_id):
        errors.append(
            ("location", _("A location is required: lat and long, address_string or address_id."))
        )
    submission.answers, answer_errors = clean_answers(questions, raw_answers)
    errors.extend(answer_errors)
    if errors:
        raise SubmissionError(errors)
    return submission
