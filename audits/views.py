"""Pages that span the audits domains: the quality manager's dashboard."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext as _

from . import access, dashboard, forms
from .auditing.views import BAD_REQUEST

# --- Dashboard -----------------------------------------------------------------------------


@login_required
def dashboard_view(request):
    if not access.can_see_dashboard(request.user):
        raise PermissionDenied(_("The quality dashboard is for quality managers."))
    agency = request.user.agency
    form = forms.DashboardFilterForm(request.GET or None, agency_id=request.user.agency_id)
    department = form.cleaned_data.get("department") if form.is_valid() else None
    start, end = form.period()
    data = dashboard.figures(agency, start=start, end=end, department=department)
    context = {
        "filter_form": form,
        "data": data,
        "charts": dashboard.charts_for(data),
        "links": dashboard.links_for(data),
        "dept": department.pk if department else "",
    }
    return render(
        request, "audits/dashboard.html", context, status=BAD_REQUEST if form.errors else 200
    )
