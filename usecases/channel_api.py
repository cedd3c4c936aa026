"""REST API v1 ``notification-channels/``: the chat channels alerts go to (``usecases.channels``).

- The PMO lists, adds, changes and deletes every channel; a value owner only their own personal
  channels (added as personal); anyone else gets 403; someone else's channel is a 404.
- ``url`` and ``secret`` are write-only: the URL comes back masked (``url_hint``), the secret
  never (``has_secret``). On a change, leaving them out keeps the stored ones.
- ``POST notification-channels/{id}/test/`` posts a test message now and answers whether it went
  through (and the receiver's error if not); the result is kept on the channel.
- Each channel shows its delivery counts and the latest problems (failed deliveries, or ones
  being retried, with the error).
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from . import alerts, channels
from .fastpaths import ClassFieldsMixin
from .models import AlertEvent, ChannelDelivery, ChannelKind, NotificationChannel


class CanUseChannels(permissions.BasePermission):
    message = "Chat channels are for the PMO and for value owners (their own use cases)."

    def has_permission(self, request, view):
        return channels.can_use_channels(request.user)


class DeliveryProblemSerializer(ClassFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = ChannelDelivery
        fields = ["id", "event", "title", "status", "attempts", "last_error", "created_at"]
        read_only_fields = fields


class ChannelSerializer(ClassFieldsMixin, serializers.ModelSerializer):
    url = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=channels.URL_MAX,
        help_text="The webhook URL (http/https). Write-only; on a change, leave out to keep it.",
    )
    secret = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        max_length=200,
        help_text="Generic JSON webhook: the HMAC-SHA256 signing secret (write-only).",
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=AlertEvent.choices), allow_empty=True
    )
    kind = serializers.ChoiceField(choices=ChannelKind.choices)
    scope = serializers.ChoiceField(
        choices=list(channels.SCOPES.items()),
        required=False,
        help_text="pmo: PMO-wide (PMO only); personal: the creator's own use cases only.",
    )
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    has_secret = serializers.SerializerMethodField()
    sent = serializers.IntegerField(read_only=True, default=0)
    failed = serializers.IntegerField(read_only=True, default=0)
    pending = serializers.IntegerField(read_only=True, default=0)
    problems = serializers.SerializerMethodField()

    class Meta:
        model = NotificationChannel
        fields = [
            "id",
            "kind",
            "name",
            "url",
            "url_hint",
            "secret",
            "has_secret",
            "events",
            "scope",
            "owner",
            "enabled",
            "created_at",
            "tested_at",
            "test_error",
            "sent",
            "failed",
            "pending",
            "problems",
        ]
        read_only_fields = ["url_hint", "created_at", "tested_at", "test_error"]
        # Blank names reach the service, which says what to write.
        extra_kwargs = {"name": {"allow_blank": True, "required": True}}

    def get_has_secret(self, channel) -> bool:
        return bool(channel.secret_sealed)

    @extend_schema_field(DeliveryProblemSerializer(many=True))
    def get_problems(self, channel) -> list:
        return DeliveryProblemSerializer(channels.recent_problems(channel), many=True).data

    def to_representation(self, channel):
        data = super().to_representation(channel)
        data["scope"] = channels.scope_of(channel)
        return data

    def _save(self, channel=None):
        data = self.validated_data
        current = channel
        try:
            return channels.channel_save(
                user=self.context["request"].user,
                channel=current,
                kind=data.get("kind", current.kind if current else ""),
                name=data.get("name", current.name if current else ""),
                url=data.get("url", ""),
                secret=data.get("secret", ""),
                events=data.get("events", current.events if current else []),
                scope=data.get("scope", ""),
                enabled=data.get("enabled", current.enabled if current else True),
            )
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from error

    def create(self, validated_data):
        return self._save()

    def update(self, instance, validated_data):
        return self._save(instance)


class NotificationChannelViewSet(viewsets.ModelViewSet):
    serializer_class = ChannelSerializer
    permission_classes = [permissions.IsAuthenticated, CanUseChannels]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema, drawn without a user
            return NotificationChannel.objects.none()
        return channels.with_delivery_counts(channels.channels_of(self.request.user)).order_by("pk")

    def perform_destroy(self, instance):
        channels.channel_delete(instance)

    @extend_schema(
        request=None,
        responses=inline_serializer(
            "ChannelTestResult",
            {"ok": serializers.BooleanField(), "error": serializers.CharField()},
        ),
    )
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        """Post a test message to the channel now."""
        channel = self.get_object()
        error = alerts.send_test(channel, user=request.user)
        return Response({"ok": not error, "error": error})
