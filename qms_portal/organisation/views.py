from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import access, throttling
from .forms import LanguageForm, ThrottledAuthenticationForm
from .models import Department, Membership, Notification, Person
from .notifications import mark_read

PAGE_SIZE = 25


class LoginView(auth_views.LoginView):
    form_class = ThrottledAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        throttling.remember_device(response, form.get_user().get_username())
        return response

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.is_throttled:
            response.status_code = 429
        return response


@login_required
def department_list(request):
    departments = (
        Department.objects.visible_to(request.user)
        .select_related("agency", "parent")
        .annotate(people_count=Count("memberships", distinct=True))
        .order_by("agency__name", "parent__code", "code")
    )
    page = Paginator(departments, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "organisation/department_list.html", {"page": page})


@login_required
def department_detail(request, pk):
    department = access.get_department_for(request.user, pk)
    memberships = (
        Membership.objects.filter(department=department, person__is_active=True)
        .select_related("person")
        .prefetch_related("person__groups")
        .order_by("-is_head", "person__last_name", "person__username")
    )
    sections = department.sections.order_by("code")
    return render(
        request,
        "organisation/department_detail.html",
        {
            "department": department,
            "memberships": memberships,
            "sections": sections,
            "can_manage": access.can_manage_department(request.user, department),
        },
    )


@login_required
def person_list(request):
    people = (
        Person.objects.visible_to(request.user)
        .filter(is_active=True)
        .select_related("agency")
        .prefetch_related(
            "groups", Prefetch("departments", queryset=Department.objects.order_by("code"))
        )
    )
    query = request.GET.get("q", "").strip()[:100]
    if query:
        people = people.filter(
            Q(last_name__icontains=query)
            | Q(first_name__icontains=query)
            | Q(username__icontains=query)
            | Q(job_title__icontains=query)
        )
    page = Paginator(people.order_by("last_name", "first_name", "username"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "organisation/person_list.html", {"page": page, "query": query})


@login_required
def notification_list(request):
    notifications = Notification.objects.filter(recipient=request.user)
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "organisation/notification_list.html", {"page": page})


@login_required
@require_POST
def notification_open(request, pk):
    notification = get_object_or_404(Notification, pk=pk, recipient=request.user)
    mark_read(notification)
    target = notification.url or "organisation:notifications"
    if notification.url and not url_has_allowed_host_and_scheme(notification.url, None):
        target = "organisation:notifications"
    return redirect(target)


@require_POST
def set_language(request):
    """Switch the page language; a signed-in person's choice is remembered on their account."""
    form = LanguageForm(request.POST)
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if not form.is_valid():
        messages.error(request, _("That language is not available."))
        return response
    language = form.cleaned_data["language"]
    if request.user.is_authenticated and request.user.language != language:
        request.user.language = language
        request.user.save(update_fields=["language"])
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response
