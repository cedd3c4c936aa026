"""The in-app inbox: a user's own notifications, newest first; mark read; open the linked form.

Everything is scoped to ``request.user``: someone else's notification is a 404. Mark-read works
as a plain form POST (redirect back) and as an htmx POST (the item is re-rendered, and the
navigation's unread count is updated out of band).
"""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from .channels import can_use_channels
from .models import Notification
from .notify import notification_mark_read, notifications_mark_all_read

PAGE_SIZE = 30


@require_GET
@login_required
def inbox(request):
    unread_only = request.GET.get("show") == "unread"
    notifications = Notification.objects.filter(recipient=request.user)
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "usecases/inbox.html",
        {
            "page_obj": page,
            "unread_only": unread_only,
            "chat_channels": can_use_channels(request.user),
        },
    )


@require_POST
@login_required
def notification_read(request, pk):
    notification = notification_mark_read(user=request.user, notification_id=pk)
    if request.POST.get("open") and _safe(request, notification.url):
        return redirect(notification.url)
    if request.htmx:
        return render(request, "usecases/inbox.html#item", {"n": notification, "oob_count": True})
    return redirect(_back(request))


@require_POST
@login_required
def read_all(request):
    notifications_mark_all_read(user=request.user)
    return redirect(_back(request))


def _safe(request, url: str) -> bool:
    return bool(url) and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )


def _back(request) -> str:
    """Back to the inbox page the form was on (``next``), or the inbox."""
    inbox_path = reverse("usecases:inbox")
    target = request.POST.get("next", "")
    if target.startswith(inbox_path) and _safe(request, target):
        return target
    return inbox_path
