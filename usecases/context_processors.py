from django.conf import settings

from .roles import roles as user_roles


def roles(request):
    """Role flags for the navigation and the installation's currency, on every page."""
    r = user_roles(request.user)
    return {
        "is_pmo": r.is_pmo,
        "is_leadership": r.is_leadership,
        "CURRENCY": settings.VALUEGATE_CURRENCY,
    }
