"""The shared preamble of every agency-scoped ``QuerySet.visible_to(person)``.

Who sees what differs by domain, but the first questions are always the same and answered here:
nobody inactive or signed out sees anything; a superuser sees everything; a certifier sees only
what was shared with them; a person outside any agency sees nothing; quality managers, auditors
and administrators read their whole agency. A domain's queryset subclasses
:class:`AgencyScopedQuerySet` and overrides only the hooks whose answer differs.
"""

from django.db import models

from .organisation.roles import sees_whole_agency


class AgencyScopedQuerySet(models.QuerySet):
    """Records that belong to one agency, through ``agency_field`` (``"agency"``,
    ``"service__agency"`` …)."""

    agency_field = "agency"

    def visible_to(self, person):
        """The records ``person`` may see at all (lists, search, downloads, API and PDFs)."""
        if not person.is_authenticated or not person.is_active:
            return self.none()
        if person.is_superuser:
            return self
        if person.is_certifier:
            return self.visible_to_certifier(person)
        if person.agency_id is None:
            return self.none()
        mine = self.of_agency(person.agency_id)
        if sees_whole_agency(person):
            return self.visible_to_agency_reader(mine, person)
        return self.visible_to_staff(mine, person)

    def of_agency(self, agency_id):
        return self.filter(**{f"{self.agency_field}_id": agency_id})

    # Hooks: the answers that differ by domain. ------------------------------------------------

    def visible_to_certifier(self, person):
        """What an external certifier sees: nothing unless the domain shares records."""
        return self.none()

    def visible_to_agency_reader(self, mine, person):
        """Quality managers, auditors and administrators: the whole agency."""
        return mine

    def visible_to_staff(self, mine, person):
        """Department staff: the whole agency unless the domain narrows it."""
        return mine
