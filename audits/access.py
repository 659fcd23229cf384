"""Who sees the pages that span the audits domains: the quality manager's dashboard."""


def can_see_dashboard(person):
    return person.is_authenticated and (
        person.is_superuser
        or (person.agency_id is not None and (person.is_quality_manager or person.is_administrator))
    )
