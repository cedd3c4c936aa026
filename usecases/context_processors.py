from django.conf import settings

from .models import Notification
from .roles import roles as user_roles


def roles(request):
    """Role flags for the navigation and the installation's currency, on every page."""
    r = user_roles(request.user)
    return {
        "is_pmo": r.is_pmo,
        "is_leadership": r.is_leadership,
        "CURRENCY": settings.VALUEGATE_CURRENCY,
    }


def inbox(request):
    """The unread count for the navigation's "Inbox (N)": one COUNT query, logged-in users only."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "inbox_unread": Notification.objects.filter(recipient=user, read_at__isnull=True).count()
    }
