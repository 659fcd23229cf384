"""What people type on the pages that span the audits domains: the dashboard's filter."""

from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qms_portal.organisation.models import Department

from .auditing.forms import DATE, DatesInOrderMixin, _agency_departments


def _year_start():
    return date(timezone.localdate().year, 1, 1)


class DashboardFilterForm(DatesInOrderMixin, forms.Form):
    date_pairs = (("start", "end"),)

    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.none(), required=False
    )
    start = forms.DateField(label=_("From"), widget=DATE, required=False)
    end = forms.DateField(label=_("To"), widget=DATE, required=False)

    def __init__(self, *args, agency_id, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = _agency_departments(agency_id)

    def period(self):
        data = self.cleaned_data if self.is_valid() else {}
        today = timezone.localdate()
        return data.get("start") or _year_start(), data.get("end") or date(today.year, 12, 31)
