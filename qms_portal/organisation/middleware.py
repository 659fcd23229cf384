from django.utils import translation


class PersonLanguageMiddleware:
    """Serve a signed-in person in the language they chose last (stored on their account).

    Runs after LocaleMiddleware and AuthenticationMiddleware, so the person's choice follows them
    to any browser and wins over the browser's Accept-Language.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
