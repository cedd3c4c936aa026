"""The chat channels page (``usecases.channels``): the PMO's every channel, a value owner's own
personal ones; add, change, send a test message, delete. Anyone else: 403; someone else's
channel: 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from . import alerts, channels
from .channel_forms import ChannelForm
from .models import AlertEvent
from .roles import is_pmo


def _require(user) -> None:
    if not channels.can_use_channels(user):
        raise PermissionDenied(
            "Chat channels are for the PMO and for value owners (their own use cases)."
        )


def _channel(user, pk):
    _require(user)
    return get_object_or_404(channels.channels_of(user), pk=pk)


@login_required
def channel_list(request):
    _require(request.user)
    rows = list(channels.with_delivery_counts(channels.channels_of(request.user)))
    labels = dict(AlertEvent.choices)
    for channel in rows:
        channel.event_labels = [labels[e] for e in channel.events if e in labels]
        channel.problems = list(channels.recent_problems(channel))
        channel.scope = channels.scope_of(channel)
    return render(
        request,
        "usecases/channels.html",
        {"channels": rows, "pmo": is_pmo(request.user)},
    )


def _save(request, form, channel=None):
    data = form.cleaned_data
    try:
        return channels.channel_save(
            user=request.user,
            channel=channel,
            kind=data["kind"],
            name=data["name"],
            url=data["url"],
            secret=data["secret"],
            events=data["events"],
            scope=data.get("scope", ""),
            enabled=data["enabled"],
        )
    except ValidationError as error:
        for field, problems in error.message_dict.items():
            form.add_error(field if field in form.fields else None, problems)
        return None


@login_required
def channel_create(request):
    _require(request.user)
    pmo = is_pmo(request.user)
    form = ChannelForm(request.POST or None, pmo=pmo)
    if request.method == "POST" and form.is_valid():
        channel = _save(request, form)
        if channel is not None:
            messages.success(
                request, f"Channel “{channel.name}” added. Send a test message to check it."
            )
            return redirect("usecases:channels")
    return render(request, "usecases/channel_form.html", {"form": form, "channel": None})


@login_required
def channel_edit(request, pk):
    channel = _channel(request.user, pk)
    initial = {
        "name": channel.name,
        "kind": channel.kind,
        "events": channel.events,
        "enabled": channel.enabled,
    }
    form = ChannelForm(request.POST or None, initial=initial, channel=channel)
    if request.method == "POST" and form.is_valid() and _save(request, form, channel) is not None:
        messages.success(request, f"Channel “{channel.name}” saved.")
        return redirect("usecases:channels")
    return render(request, "usecases/channel_form.html", {"form": form, "channel": channel})


@login_required
@require_POST
def channel_test(request, pk):
    channel = _channel(request.user, pk)
    error = alerts.send_test(channel, user=request.user)
    if error:
        messages.error(request, f"The test message to “{channel.name}” failed: {error}")
    else:
        messages.success(request, f"Test message sent to “{channel.name}”.")
    return redirect("usecases:channels")


@login_required
@require_POST
def channel_delete(request, pk):
    channel = _channel(request.user, pk)
    channels.channel_delete(channel)
    messages.success(request, f"Channel “{channel.name}” deleted.")
    return redirect("usecases:channels")
