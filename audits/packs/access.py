"""Who may do what with an evidence pack, and loading one pack for a person.

404 when the person may not know the pack exists (another agency, staff who are not quality
managers, a certifier it was never shared with); 403 when they know it but may not do what they
ask — a certifier whose share expired or was revoked, or a certifier asking to manage it.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from qms_portal.organisation.roles import is_quality_manager_of

from .models import EvidencePack, PackShare

# --- Predicates (the machines' ``allowed=``) ----------------------------------------------


def can_manage(person, pack):
    """Quality managers of the pack's agency prepare, build, share and withdraw it."""
    return is_quality_manager_of(person, pack.agency_id)


def can_manage_share(person, share):
    return can_manage(person, share.pack)


def can_download(person, pack):
    """Whoever may see the pack may download it once a build finished (the page already checked
    who sees it: for a certifier, a share in force) — while a newer build runs too, the last one."""
    return person.is_authenticated and pack.has_built_zip


def can_list_packs(person):
    return person.is_authenticated and (
        person.is_superuser
        or person.is_certifier
        or (person.agency_id is not None and (person.is_quality_manager or person.is_administrator))
    )


def require_pack_manager(person, agency_id):
    if not is_quality_manager_of(person, agency_id):
        raise PermissionDenied(_("Only a quality manager can prepare and share evidence packs."))


# --- Loading -------------------------------------------------------------------------------


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
    share.pack = pack
    return share
