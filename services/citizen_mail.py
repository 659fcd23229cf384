"""E-mails to citizens who left an address: each public step of their request, in their language.

ISO 9001:2015 8.2.1 (communication with customers). Contact details never leave the portal in
pages or the API; they are used here, and only here, to tell the citizen what happened.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .models import RequestUpdate


def email_update(update_id):
    """E-mail one public update unless it has been e-mailed already. True when sent now.

    The row is claimed with a conditional update, so two workers never send the same e-mail; a
    failed send gives the claim back, so a retry sends it.
    """
    # history-exempt: delivery bookkeeping on an append-only row
    claimed = RequestUpdate.objects.filter(
        pk=update_id, is_public=True, citizen_emailed_at__isnull=True
    ).update(citizen_emailed_at=timezone.now())
    if claimed != 1:
        return False
    update = RequestUpdate.objects.select_related("request__service").get(pk=update_id)
    request = update.request
    if not request.citizen_email:
        return False
    try:
        with translation.override(request.language or settings.LANGUAGE_CODE):
            subject, body = _message(update, request)
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [request.citizen_email])
    except Exception:
        # history-exempt: giving the claim back for the retry
        RequestUpdate.objects.filter(pk=update_id).update(citizen_emailed_at=None)
        raise
    return True


def _message(update, request):
    status = update.get_to_status_display() if update.to_status else request.get_status_display()
    subject = _("Your request %(code)s: %(status)s") % {
        "code": request.tracking_code,
        "status": status,
    }
    lines = [
        _("Your request for “%(service)s” is now: %(status)s.")
        % {"service": request.service.name, "status": status}
    ]
    if update.text:
        lines += ["", update.text]
    lines += [
        "",
        _("Follow it and, once it is resolved, rate our service here:"),
        f"{settings.PORTAL_BASE_URL.rstrip('/')}{request.get_tracking_url()}",
        "",
        _("Please do not reply to this e-mail."),
    ]
    return subject, "\n".join(lines)
