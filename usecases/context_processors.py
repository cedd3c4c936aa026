from django.conf import settings
from django.db.models import Count

from .models import Notification
from .prepared_sql import PreparedQuery
from .roles import roles as user_roles

#: The unread count of one user (no row: none), compiled once (``prepared_sql``): every page.
UNREAD_COUNT = PreparedQuery(
    lambda user_id: (
        Notification.objects.filter(recipient_id=user_id, read_at__isnull=True)
        .order_by()
        .values("recipient_id")
        .annotate(n=Count("pk"))
        .values_list("n")
    ),
    user_id=int,
)


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
    rows = UNREAD_COUNT(user_id=user.pk)
    return {"inbox_unread": rows[0][0] if rows else 0}
