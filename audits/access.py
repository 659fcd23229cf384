"""Who sees the pages that span the audits domains: the quality manager's dashboard."""

from qms_portal.organisation.roles import is_administrator_of, is_quality_manager_of


def can_see_dashboard(person):
    """The agency's quality managers and administrators (and superusers)."""
    if not person.is_authenticated:
        return False
    if person.is_superuser:
        return True
    return person.agency_id is not None and (
        is_quality_manager_of(person, person.agency_id)
        or is_administrator_of(person, person.agency_id)
    )
