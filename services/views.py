"""Public pages for citizens (no sign-in, no JavaScript needed) and the staff queue."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from qms_portal import uploads
from qms_portal.errors import apply_rule, message_of, refused

from . import access, throttle, workflow
from .deadlines import DeadlineStatus, at_risk_until, deadline_status
from .forms import (
    ActionForm,
    AssignForm,
    HolidayForm,
    QueueFilterForm,
    RatingForm,
    RequestForm,
    StatisticsForm,
    TrackForm,
    TransferForm,
    UpdateForm,
)
from .models import (
    Holiday,
    RequestUpdate,
    Service,
    ServiceQuestion,
    ServiceRequest,
    normalise_tracking_code,
)
from .statistics import monthly_statistics, totals
from .working_days import Calendar

PAGE_SIZE = 25
#: The state steps posted to ``request_action``: the workflow function and the button's text.
ACTIONS = {
    "acknowledge": (workflow.acknowledge, gettext_lazy("Acknowledge")),
    "start": (workflow.start_work, gettext_lazy("Start work")),
    "resolve": (workflow.resolve, gettext_lazy("Resolve")),
    "reopen": (workflow.reopen, gettext_lazy("Reopen")),
    "close": (workflow.close, gettext_lazy("Close")),
    "reject": (workflow.reject, gettext_lazy("Reject (give the reason)")),
}


def _too_many(request):
    return render(request, "services/rate_limited.html", status=429)


def _max_public_body():
    """Three photos at the upload limit plus the form fields."""
    return 3 * min(settings.QMS_UPLOAD_MAX_BYTES, 10 * 1024 * 1024) + 256 * 1024


# Citizens ---------------------------------------------------------------------------------------


def catalogue(request):
    services = Service.objects.public().select_related("department").order_by("group", "code")
    return render(request, "services/catalogue.html", {"services": services})


def service_page(request, code):
    """A service's page with the request form; the form posts back here."""
    service = get_object_or_404(
        Service.objects.public().select_related("agency", "department"), code=code
    )
    questions = list(ServiceQuestion.objects.filter(service=service).order_by("order"))
    if request.method == "POST":
        if throttle.is_blocked("submit", request):
            return _too_many(request)
        if int(request.META.get("CONTENT_LENGTH") or 0) > _max_public_body():
            return render(request, "services/too_large.html", status=413)
        form = RequestForm(request.POST, request.FILES, service=service, questions=questions)
        if form.is_valid():
            throttle.count("submit", request)
            created = apply_rule(
                form,
                lambda: workflow.submit_request(
                    service=service,
                    submission=form.submission,
                    channel=ServiceRequest.Channel.WEB,
                    photos=form.cleaned_data["photos"],
                    once=form.once(),
                ),
            )
            if created is not None:  # also the first request, when this form was sent before
                return redirect(f"{created.get_tracking_url()}?new=1")
            form.renew_submission_token()
        status = 400
    else:
        form = RequestForm(service=service, questions=questions)
        status = 200
    return render(
        request, "services/service.html", {"service": service, "form": form}, status=status
    )


# Bodies over this are refused (413) unread, here and by the control-character check.
service_page.max_request_body = _max_public_body


def track_lookup(request):
    """The form to type a tracking code; what was typed is checked before any query (400 if bad)."""
    form = TrackForm(request.GET or None)
    if form.is_valid():
        code = normalise_tracking_code(form.cleaned_data["code"])
        if code:
            return redirect("services:track", code=code)
        form.add_error(
            "code", _("A tracking code has 16 letters and digits, like 7KQ2-MX9D-4TRB-ZW3H.")
        )
    status = 400 if form.is_bound else 200
    return render(request, "services/track_lookup.html", {"form": form}, status=status)


def _tracked(request, code):
    """The request with this code, counting failed guesses against the client address."""
    if throttle.is_blocked("track", request):
        return None, _too_many(request)
    normalised = normalise_tracking_code(code)
    found = (
        ServiceRequest.objects.select_related("service", "department")
        .filter(tracking_code=normalised)
        .first()
        if normalised
        else None
    )
    if found is None:
        throttle.count("track", request)
        return None, render(
            request,
            "services/track_lookup.html",
            {"form": TrackForm(), "unknown": True},
            status=404,
        )
    return found, None


def track(request, code):
    """Public status and public updates only: never internal notes, never contact details."""
    found, refusal = _tracked(request, code)
    if refusal:
        return refusal
    updates = RequestUpdate.objects.filter(request=found, is_public=True).order_by(
        "created_at", "pk"
    )
    return render(
        request,
        "services/track.html",
        {
            "item": found,
            "updates": updates,
            "rating_form": RatingForm() if found.can_be_rated else None,
            "new": request.GET.get("new") == "1",
        },
    )


@require_POST
def rate(request, code):
    if throttle.is_blocked("rate", request):
        return _too_many(request)
    throttle.count("rate", request)
    found, refusal = _tracked(request, code)
    if refusal:
        return refusal
    form = RatingForm(request.POST)
    if form.is_valid():
        try:
            workflow.rate(
                tracking_code=found.tracking_code,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
            )
        except workflow.RequestError as error:
            messages.error(request, message_of(error))
        else:
            messages.success(request, _("Thank you for rating the service."))
        return redirect(found.get_tracking_url())
    updates = RequestUpdate.objects.filter(request=found, is_public=True)
    return render(
        request,
        "services/track.html",
        {"item": found, "updates": updates, "rating_form": form},
        status=400,
    )


# Staff ------------------------------------------------------------------------------------------


def _queue(request, person, today, calendar):
    form = QueueFilterForm(request.GET or None, person=person)
    requests = (
        ServiceRequest.objects.visible_to(person)
        .select_related("service", "department", "assignee")
        .order_by("due_date", "pk")
    )
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            text = data["q"].strip()
            code = normalise_tracking_code(text)
            match = Q(description__icontains=text) | Q(address__icontains=text)
            if text.lstrip("#").isdigit():
                match |= Q(pk=int(text.lstrip("#")))
            if code:
                match |= Q(tracking_code=code)
            requests = requests.filter(match)
        if data["department"]:
            requests = requests.filter(department=data["department"])
        if data["service"]:
            requests = requests.filter(service=data["service"])
        if data["status"] == "open":
            requests = requests.open()
        elif data["status"]:
            requests = requests.filter(status=data["status"])
        if data["deadline"] == DeadlineStatus.OVERDUE:
            requests = requests.overdue(today)
        elif data["deadline"] == DeadlineStatus.AT_RISK:
            requests = requests.at_risk(today, at_risk_until(calendar, today))
        if data["mine"]:
            requests = requests.filter(assignee=person)
    else:
        requests = requests.open()
    return form, requests


@login_required
def queue(request):
    """Requests of the person's departments (all the agency's for quality managers)."""
    if request.user.agency_id is None:
        raise PermissionDenied(_("The request queue is for the agency's own staff."))
    today = timezone.localdate()
    calendar = Calendar.around(request.user.agency_id, today, 10)
    form, requests = _queue(request, request.user, today, calendar)
    page = Paginator(requests, PAGE_SIZE).get_page(request.GET.get("page"))
    for item in page:
        item.deadline = deadline_status(item, calendar, today)
    context = {
        "form": form,
        "page": page,
        "today": today,
        "can_manage_calendar": access.can_manage_calendar(request.user),
    }
    return render(request, "services/queue.html", context)


@login_required
def request_detail(request, pk):
    item = access.get_request_for(request.user, pk)
    today = timezone.localdate()
    calendar = Calendar.around(item.service.agency_id, today, 10)
    steps = workflow.available_steps(item, request.user)
    context = {
        "item": item,
        "steps": steps,
        "deadline": deadline_status(item, calendar, today),
        "updates": item.updates.select_related("author"),
        "photos": item.photos.all(),
        # One form per next step; each its own field ids, so every note has its own label.
        "actions": [
            (name, button, ActionForm(auto_id=f"id_{name}_%s"))
            for name, (_call, button) in ACTIONS.items()
            if name in steps
        ],
        "update_form": UpdateForm() if "add_update" in steps else None,
        "transfer_form": TransferForm(request=item) if "transfer" in steps else None,
        "assign_form": AssignForm(request=item, initial={"assignee": item.assignee_id})
        if "assign" in steps
        else None,
    }
    return render(request, "services/request_detail.html", context)


def _take_step(request, item, step, call, *, done, then=None):
    """Take one staff step on the request page's behalf: a step the page would not offer is
    refused with a 4xx page (403 not yours, 409 not in this state); a rule the step itself
    enforces (a missing reason, a wrong department) comes back as a message on the request."""
    try:
        workflow.REQUEST_MACHINE.require(item, step, request.user)
    except workflow.RequestError as error:
        return refused(request, error, back=item.get_absolute_url())
    try:
        call()
    except (workflow.RequestError, ValidationError) as error:
        messages.error(request, message_of(error))
        return redirect(item.get_absolute_url())
    messages.success(request, done)
    return redirect(then() if then else item.get_absolute_url())


def _valid(form, message):
    """The form's data, or the refusal ``message`` (the page's fields say what is wanted)."""
    if not form.is_valid():
        raise ValidationError(message)
    return form.cleaned_data


@login_required
@require_POST
def request_action(request, pk, action):
    if action not in ACTIONS:
        raise Http404(_("No such action."))
    item = access.get_request_for(request.user, pk, to="handle")
    form = ActionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    kwargs = {"reason": note} if action in ("reject", "reopen") else {"note": note}
    call, _button = ACTIONS[action]
    return _take_step(
        request,
        item,
        action,
        lambda: call(request_id=item.pk, actor=request.user, **kwargs),
        done=_("Request #%(id)s updated.") % {"id": item.pk},
    )


@login_required
@require_POST
def request_transfer(request, pk):
    item = access.get_request_for(request.user, pk, to="handle")
    form = TransferForm(request.POST, request=item)

    def transfer():
        data = _valid(form, _("Choose a department and give a reason."))
        workflow.transfer(
            request_id=item.pk,
            actor=request.user,
            department=data["department"],
            reason=data["reason"],
        )

    def then():
        if ServiceRequest.objects.visible_to(request.user).filter(pk=item.pk).exists():
            return item.get_absolute_url()
        return reverse("services:queue")

    return _take_step(
        request,
        item,
        "transfer",
        transfer,
        done=_("Request #%(id)s transferred.") % {"id": item.pk},
        then=then,
    )


@login_required
@require_POST
def request_assign(request, pk):
    item = access.get_request_for(request.user, pk, to="handle")
    form = AssignForm(request.POST, request=item)
    return _take_step(
        request,
        item,
        "assign",
        lambda: workflow.assign(
            request_id=item.pk,
            actor=request.user,
            assignee=_valid(form, _("Choose someone of the department."))["assignee"],
        ),
        done=_("Assignment saved."),
    )


@login_required
@require_POST
def request_update(request, pk):
    item = access.get_request_for(request.user, pk, to="handle")
    form = UpdateForm(request.POST)

    def add_update():
        data = _valid(form, _("Write the update first."))
        workflow.add_update(
            request_id=item.pk, actor=request.user, text=data["text"], public=data["public"]
        )

    return _take_step(request, item, "add_update", add_update, done=_("Update added."))


@login_required
def photo(request, pk, photo_pk):
    """A citizen's photo for staff, never with its EXIF (GPS position, author): photos are stored
    cleaned, and one stored before that is cleaned on the way out."""
    item = access.get_request_for(request.user, pk)
    stored = get_object_or_404(item.photos, pk=photo_pk)
    with stored.file.open("rb") as handle:
        data = handle.read()
    try:
        content = uploads.image_for_serving(data, uploads.KINDS_BY_CODE[stored.file_kind])
    except ValidationError as error:
        return refused(request, error.messages[0], status=409, back=item.get_absolute_url())
    response = HttpResponse(content, content_type=f"image/{stored.file_kind}")
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def statistics_page(request):
    """Per month, service and department: requests, on-time rate, median days, satisfaction."""
    if request.user.agency_id is None:
        raise PermissionDenied(_("Statistics are for the agency's own staff."))
    form = StatisticsForm(request.GET or None, person=request.user)
    year = timezone.localdate().year
    department = None
    if form.is_valid():
        year = form.cleaned_data["year"] or year
        department = form.cleaned_data["department"]
    start, end = timezone.datetime(year, 1, 1).date(), timezone.datetime(year, 12, 31).date()
    rows = monthly_statistics(
        agency=request.user.agency, start=start, end=end, department=department
    )
    return render(
        request,
        "services/statistics.html",
        {"form": form, "rows": rows, "totals": totals(rows), "year": year},
    )


@login_required
def holidays(request):
    """The agency's holidays and worked weekend days (quality managers and administrators)."""
    if not access.can_manage_calendar(request.user):
        raise PermissionDenied(_("Only quality managers and administrators keep the calendar."))
    agency = request.user.agency
    form = HolidayForm(request.POST or None, agency=agency)
    if request.method == "POST" and form.is_valid():
        holiday = form.save(commit=False)
        holiday._change_reason = "added in the portal"
        holiday.save()
        messages.success(request, _("%(holiday)s added.") % {"holiday": holiday})
        return redirect("services:holidays")
    rows = Holiday.objects.filter(agency=agency, date__year__gte=timezone.localdate().year - 1)
    return render(request, "services/holidays.html", {"form": form, "holidays": rows})


@login_required
@require_POST
def holiday_delete(request, pk):
    if not access.can_manage_calendar(request.user):
        raise PermissionDenied(_("Only quality managers and administrators keep the calendar."))
    holiday = get_object_or_404(Holiday, pk=pk, agency=request.user.agency)
    holiday._change_reason = "removed in the portal"
    holiday.delete()
    messages.success(request, _("%(holiday)s removed.") % {"holiday": holiday})
    return redirect(reverse("services:holidays"))
