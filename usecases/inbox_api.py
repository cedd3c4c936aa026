"""REST API v1 ``notifications/``: the caller's own inbox, as the in-app inbox shows it
(``usecases.inbox_views``), so integrations and tests can see what a person was told.

- ``GET notifications/``: the caller's notifications only, newest first, paginated like every
  list; ``?unread=true`` keeps the unread ones, ``?unread=false`` the read ones (left out or
  empty: all). Any other value is a 400 at ``unread``.
- ``POST notifications/{id}/read/``: mark one read (idempotent: the first reading time is kept)
  and answer it. Someone else's notification does not exist for the caller: 404, whatever their
  role.
"""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from .fastpaths import ClassFieldsMixin
from .models import Notification
from .notify import notification_mark_read

#: How ``?unread=`` may be written (any case); an empty value is no filter.
UNREAD_VALUES = {"true": True, "1": True, "false": False, "0": False}
UNREAD_INVALID = (
    "Use unread=true for the unread notifications, unread=false for the read ones, or leave "
    "it out for all."
)


class NotificationSerializer(ClassFieldsMixin, serializers.ModelSerializer):
    subject_type = serializers.SerializerMethodField(
        help_text='What the notification is about, as "app.model" (e.g. "stagegates.gateitem").'
    )
    unread = serializers.SerializerMethodField()
    url = serializers.CharField(read_only=True, help_text="Path on this site where to act on it.")

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "title",
            "body",
            "url",
            "subject_type",
            "subject_id",
            "period",
            "created_at",
            "read_at",
            "unread",
            "emailed_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "kind": {"help_text": "e.g. gate_voting_opened, gate_decision, weekly_reminder."},
            "period": {"help_text": "The period it is about: a week, a month or a quarter."},
            "read_at": {"help_text": "When the recipient first read it; null while unread."},
            "emailed_at": {"help_text": "When its e-mail went out; null if not (yet)."},
        }

    def get_subject_type(self, obj) -> str:
        return f"{obj.subject_type.app_label}.{obj.subject_type.model}"

    def get_unread(self, obj) -> bool:
        return obj.read_at is None


def unread_filter(request: Request) -> bool | None:
    """``?unread=`` read: True, False, or None (not given); a 400 at ``unread`` otherwise."""
    raw = request.query_params.get("unread", "")
    if raw == "":
        return None
    try:
        return UNREAD_VALUES[raw.lower()]
    except KeyError:
        raise ValidationError({"unread": [UNREAD_INVALID]}) from None


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The caller's inbox: list and mark read. Nothing else: notifications are written by the
    events they are about, never through the API."""

    serializer_class = NotificationSerializer
    filter_backends: list = []
    lookup_value_regex = "[0-9]+"  # an id is digits: anything else matches no route (404)

    def get_queryset(self):
        queryset = (
            Notification.objects.filter(recipient=self.request.user)
            .select_related("subject_type")
            .order_by("-created_at", "-id")
        )
        unread = unread_filter(self.request)
        if unread is not None:
            queryset = queryset.filter(read_at__isnull=unread)
        return queryset

    @extend_schema(
        summary="Your notifications (the in-app inbox), newest first",
        parameters=[
            OpenApiParameter(
                "unread",
                bool,
                description=(
                    "true: only the unread notifications; false: only the read ones; left out: all."
                ),
            )
        ],
        responses={
            200: NotificationSerializer(many=True),
            400: OpenApiResponse(description="`unread` is neither true nor false."),
        },
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="Mark one of your notifications read (idempotent)",
        request=None,
        responses={
            200: NotificationSerializer,
            404: OpenApiResponse(description="No such notification in your inbox."),
        },
    )
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = notification_mark_read(user=request.user, notification_id=int(pk))
        return Response(self.get_serializer(notification).data)
