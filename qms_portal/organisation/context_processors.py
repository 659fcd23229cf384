from django.conf import settings

from .forms import LanguageForm


def portal(request):
    """What every page's layout needs: the person's roles for the navigation and the languages."""
    user = getattr(request, "user", None)
    roles = user.role_names if user is not None and user.is_authenticated else frozenset()
    return {
        "portal_roles": roles,
        "portal_languages": settings.LANGUAGES,
        "language_form": LanguageForm,
    }
