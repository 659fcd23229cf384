"""Loading one evidence pack for a person, with the list's own rule.

404 when the person may not know the pack exists (another agency, staff who are not quality
managers, a certifier it was never shared with); 403 when they know it but may not do what they
ask — a certifier whose share expired or was revoked, or a certifier asking to manage it.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from .models import EvidencePack, PackShare
from .workflow import can_manage


def get_pack_for(person, pk, *, to="view"):
    """``to``: ``view`` (page and download) or ``manage`` (build, share, revoke)."""
    pack = (
        EvidencePack.objects.visible_to(person)
        .select_related("agency", "defined_by")
        .filter(pk=pk)
        .first()
    )
    if pack is None:
        if person.is_authenticated and person.is_certifier:
            if PackShare.objects.filter(pack_id=pk, certifier=person).exists():
                raise PermissionDenied(
                    _("Your access to this evidence pack has expired or was withdrawn.")
                )
        raise Http404(_("No such evidence pack."))
    if to == "manage" and not can_manage(person, pack):
        raise PermissionDenied(_("Only a quality manager can build or share evidence packs."))
    return pack


def get_share_for(person, pk, share_pk):
    pack = get_pack_for(person, pk, to="manage")
    share = PackShare.objects.filter(pack=pack, pk=share_pk).select_related("certifier").first()
    if share is None:
        raise Http404(_("No such share."))
    return share


def can_list_packs(person):
    return person.is_authenticated and (
        person.is_superuser
        or person.is_certifier
        or (person.agency_id is not None and (person.is_quality_manager or person.is_administrator))
    )
