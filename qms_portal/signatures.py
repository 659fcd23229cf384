"""Electronic signatures, defined once: who signed, the printed name, when, what it means, and a
SHA-256 digest binding those to a fingerprint of what was signed (ISO 9001 7.5.2 approval, 7.5.3
protection of records).

A domain's signature model subclasses :class:`SignatureBase`, adds the foreign key to what it signs
and its ``meaning`` choices, and says which values the digest covers (``digest_parts``) and what the
signed record's fingerprint is now (``signed_fingerprint``). Workflows create signatures only with
:func:`record_signature`, which re-checks the signer's password (throttled like sign-in), fixes the
time to whole seconds (a precision every database keeps) and refuses a duplicate with the domain's
own ``RuleError``.
"""

import hashlib

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .disposal import active_disposal
from .errors import RuleError
from .organisation.signing import confirm_signature_password
from .statemachine import save_with_history

FIELD_SEPARATOR = "\x1f"


class SignatureIsFinal(RuleError):
    """A signature, once given, is never changed or removed, by anyone (admin included)."""


def _final():
    return SignatureIsFinal(_("A signature is final: it is never changed or removed."))


def digest_of(parts):
    """SHA-256 (hex) of ``parts`` joined by the unit separator, which no typed text contains."""
    return hashlib.sha256(FIELD_SEPARATOR.join(str(part) for part in parts).encode()).hexdigest()


class SignatureBase(models.Model):
    """Who signed, as whom, when, and the digest that seals it; subclasses add the rest."""

    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    printed_name = models.CharField(_("printed name"), max_length=200)
    signed_at = models.DateTimeField(_("signed at"))
    digest = models.CharField(max_length=64, unique=True)

    #: The field holding the fingerprint of what was signed, as it was at signing.
    fingerprint_field = "fingerprint"

    class Meta:
        abstract = True
        ordering = ["signed_at"]

    def __str__(self):
        return f"{self.printed_name} — {self.get_meaning_display()}"

    def save(self, *args, **kwargs):
        """Only the first save writes a signature (``record_signature``); later ones are refused."""
        if not self._state.adding:
            raise _final()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if active_disposal() is None:
            raise _final()
        super().delete(*args, **kwargs)

    def digest_parts(self):
        """The values the digest covers, in a fixed order (a subclass may add its own)."""
        return [
            getattr(self, self.fingerprint_field),
            self.signer_id,
            self.printed_name,
            self.meaning,
            self.signed_at.isoformat(),
        ]

    def compute_digest(self):
        return digest_of(self.digest_parts())

    def signed_fingerprint(self):
        """The fingerprint of the signed record as it stands now."""
        raise NotImplementedError

    def is_intact(self):
        """The signature's own fields and what it signed are as they were when it was given."""
        return self.digest == self.compute_digest() and (
            getattr(self, self.fingerprint_field) == self.signed_fingerprint()
        )


def record_signature(
    model,
    *,
    signer,
    meaning,
    duplicate,
    error,
    password,
    wrong_password=None,
    reason=None,
    **fields,
):
    """Create one signature of ``model`` by ``signer`` with ``meaning``, sealed by its digest.

    ``fields`` name what is signed and its fingerprint (``revision=…, revision_fingerprint=…``).
    The signer's re-entered ``password`` is always checked first (``wrong_password`` is the
    message), so no caller can record a signature without it. ``duplicate`` is the message of the
    ``error`` raised if the same signature exists already.
    """
    confirm_signature_password(
        signer,
        password,
        error=error,
        wrong_password_message=wrong_password
        or _("The password is not correct; nothing was signed."),
    )
    signature = model(
        signer=signer,
        printed_name=signer.get_full_name() or signer.get_username(),
        meaning=meaning,
        signed_at=timezone.now().replace(microsecond=0),
        **fields,
    )
    signature.digest = signature.compute_digest()
    try:
        with transaction.atomic():
            save_with_history(signature, actor=signer, reason=reason or f"signed: {meaning}")
    except IntegrityError as integrity_error:  # the same signature given twice at one moment
        raise error(duplicate) from integrity_error
    return signature


record_signature.alters_data = True


def refuse_deletion(sender, instance, **kwargs):
    """``pre_delete`` of every signature model: a queryset delete or a cascade is refused too,
    except inside an approved retention disposal run (``qms_portal.disposal``)."""
    if active_disposal() is None:
        raise _final()


def protect_signatures():
    """Connect :func:`refuse_deletion` to each concrete signature model (once models are loaded)."""
    from django.apps import apps
    from django.db.models.signals import pre_delete

    for model in apps.get_models():
        if issubclass(model, SignatureBase):
            pre_delete.connect(
                refuse_deletion, sender=model, dispatch_uid=f"final:{model._meta.label}"
            )
