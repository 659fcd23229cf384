"""Pages of evidence packs: thin; each parses the request, calls access/workflow, renders."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from documents.models import Document
from qms_portal.errors import apply_rule, refused
from qms_portal.organisation.roles import is_quality_manager_of
from qms_portal.organisation.throttling import client_address

from . import access, forms, workflow
from .models import EvidencePack, PackShare

BAD_REQUEST, CONFLICT = 400, 409
REFRESH_SECONDS = 3


@login_required
def pack_list(request):
    if not access.can_list_packs(request.user):
        raise PermissionDenied(_("Evidence packs are for quality managers and certifiers."))
    packs = EvidencePack.objects.visible_to(request.user).select_related("defined_by")
    shares = {}
    if request.user.is_certifier:
        for share in PackShare.objects.active().filter(certifier=request.user):
            shares[share.pack_id] = share
    return render(
        request,
        "packs/pack_list.html",
        {
            "packs": [(pack, shares.get(pack.pk)) for pack in packs],
            "can_create": is_quality_manager_of(request.user, request.user.agency_id),
        },
    )


@login_required
def pack_create(request):
    access.require_pack_manager(request.user, request.user.agency_id)
    form = forms.PackForm(request.POST or None, agency_id=request.user.agency_id)
    if request.method == "POST" and form.is_valid():
        pack = apply_rule(
            form,
            lambda: workflow.pack_define(
                actor=request.user, agency=request.user.agency, **form.cleaned_data
            ),
        )
        if pack is not None:
            messages.success(request, _("Pack %(ref)s is being built.") % {"ref": pack.reference})
            return redirect(pack)
    return render(
        request,
        "packs/pack_form.html",
        {"form": form},
        status=BAD_REQUEST if form.errors else 200,
    )


@login_required
def pack_detail(request, pk):
    pack = access.get_pack_for(request.user, pk)
    manages = access.can_manage(request.user, pack)
    context = {
        "pack": pack,
        "steps": workflow.available_steps(pack, request.user),
        "manages": manages,
        "refresh": REFRESH_SECONDS if pack.is_running else None,
        "departments": pack.departments.order_by("code"),
        "clauses": pack.clauses.order_by("sort_key"),
    }
    if manages:
        context["shares"] = pack.shares.select_related("certifier", "shared_by", "revoked_by")
        context["downloads"] = pack.downloads.select_related("person")[:200]
        context["share_form"] = forms.ShareForm()
    elif request.user.is_certifier:
        context["share"] = (
            PackShare.objects.active().filter(pack=pack, certifier=request.user).first()
        )
        context["documents"] = Document.objects.visible_to(request.user).filter(
            agency_id=pack.agency_id
        )
    return render(request, "packs/pack_detail.html", context)


@login_required
@require_POST
def pack_build(request, pk):
    pack = access.get_pack_for(request.user, pk, to="manage")
    try:
        workflow.pack_rebuild(pack=pack, actor=request.user)
    except workflow.PackRuleError as error:
        return _refused(request, error, pack)
    return redirect(pack)


@login_required
@require_POST
def pack_share(request, pk):
    pack = access.get_pack_for(request.user, pk, to="manage")
    form = forms.ShareForm(request.POST)
    if form.is_valid():
        try:
            workflow.pack_share(pack=pack, actor=request.user, **form.cleaned_data)
        except workflow.PackRuleError as error:
            return _refused(request, error, pack)
        else:
            messages.success(request, _("Shared."))
            return redirect(pack)
    else:
        messages.error(request, _("Choose a certifier and an expiry date."))
    return redirect(pack)


@login_required
@require_POST
def pack_share_revoke(request, pk, share_pk):
    share = access.get_share_for(request.user, pk, share_pk)
    workflow.share_revoke(share=share, actor=request.user)
    messages.success(request, _("Access withdrawn."))
    return redirect(share.pack)


@login_required
def pack_download(request, pk):
    pack = access.get_pack_for(request.user, pk)
    try:
        handle = workflow.open_built_zip(pack, request.user)
    except workflow.PackRuleError as error:
        return _refused(request, error, pack)
    workflow.record_download(
        pack=pack,
        person=request.user,
        client_address=client_address(request),
        user_agent=request.headers.get("User-Agent", ""),
    )
    response = FileResponse(
        handle, as_attachment=True, filename=pack.zip_name, content_type="application/zip"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _refused(request, error, pack):
    """The refusal page (409): what was not done and why, with the way back to the pack."""
    return refused(
        request,
        error,
        back=pack.get_absolute_url(),
        status=CONFLICT,
        context={"subnav": "audits/_subnav.html"},
    )
