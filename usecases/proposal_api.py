"""REST API of the change-log entries proposed from telemetry (``usecases.change_proposals``):

- ``GET use-cases/{id}/proposed-changes/``: the use case's proposals, newest first (``?status=``
  proposed, confirmed or dismissed); whoever sees the use case.
- ``POST proposed-changes/{id}/confirm/`` ``{version_label?, effective_date?, description?}``:
  the change-log entry it becomes (201); the value owner and the PMO, others 403 (404 for who
  does not see the use case); a decided proposal or a taken label is a 400 with the message.
- ``POST proposed-changes/{id}/dismiss/``: the proposal, dismissed (200); the same people.
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from . import change_proposals
from .api import service_errors
from .fastpaths import ClassFieldsMixin
from .models import ProposalStatus, ProposedChange, UseCase
from .permissions import can_decide_proposed_change, get_use_case_for_user
from .serializers import ModelChangeSerializer, RejectUnknownFieldsMixin


class ProposedChangeSerializer(ClassFieldsMixin, serializers.ModelSerializer):
    use_case = serializers.IntegerField(source="use_case_id", read_only=True)
    change = serializers.IntegerField(source="change_id", read_only=True, allow_null=True)
    decided_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    what_changed = serializers.CharField(read_only=True, help_text="“Model gpt-4o → gpt-4.1”.")

    class Meta:
        model = ProposedChange
        fields = [
            "id",
            "use_case",
            "kind",
            "previous_value",
            "new_value",
            "what_changed",
            "first_seen",
            "status",
            "change",
            "decided_by",
            "decided_at",
            "created_at",
        ]
        read_only_fields = fields


class ConfirmSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    version_label = serializers.CharField(
        required=False, max_length=60, help_text="Default: the new model or prompt version."
    )
    effective_date = serializers.DateField(
        required=False, help_text="Default: the day it was first seen."
    )
    description = serializers.CharField(required=False, allow_blank=True)


class UseCaseProposedChangesView(generics.GenericAPIView):
    queryset = UseCase.objects.none()
    serializer_class = ProposedChangeSerializer
    pagination_class = None
    filter_backends = []

    @extend_schema(
        summary="Change-log entries proposed from the use case's telemetry",
        parameters=[
            OpenApiParameter("status", enum=ProposalStatus.values, required=False),
        ],
    )
    def get(self, request, pk=None):
        use_case = get_use_case_for_user(request.user, pk)
        rows = ProposedChange.objects.filter(use_case_id=use_case.pk).select_related("decided_by")
        wanted = request.query_params.get("status")
        if wanted:
            if wanted not in ProposalStatus.values:
                raise serializers.ValidationError(
                    {"status": [f"Choose one of {', '.join(ProposalStatus.values)}."]}
                )
            rows = rows.filter(status=wanted)
        rows = rows.order_by("-first_seen", "-pk")
        return Response(ProposedChangeSerializer(rows, many=True).data)


class _Decision(generics.GenericAPIView):
    queryset = ProposedChange.objects.none()
    pagination_class = None
    filter_backends = []

    def proposal(self, pk) -> ProposedChange:
        if not str(pk).isascii() or not str(pk).isdigit():
            raise NotFound()
        proposal = get_object_or_404(ProposedChange, pk=int(pk))
        proposal.use_case = get_use_case_for_user(
            self.request.user, proposal.use_case_id, check=can_decide_proposed_change
        )
        return proposal


class ProposedChangeConfirmView(_Decision):
    serializer_class = ConfirmSerializer

    @extend_schema(
        summary="Confirm a proposed change: it becomes a change-log entry (owner or PMO)",
        request=ConfirmSerializer,
        responses={201: ModelChangeSerializer},
    )
    def post(self, request, pk=None):
        proposal = self.proposal(pk)
        body = ConfirmSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with service_errors():
            change = change_proposals.proposal_confirm(
                user=request.user, proposal=proposal, data=body.validated_data
            )
        return Response(ModelChangeSerializer(change).data, status=status.HTTP_201_CREATED)


class ProposedChangeDismissView(_Decision):
    serializer_class = ProposedChangeSerializer

    @extend_schema(
        summary="Dismiss a proposed change (owner or PMO)",
        request=None,
        responses={200: ProposedChangeSerializer},
    )
    def post(self, request, pk=None):
        proposal = self.proposal(pk)
        with service_errors():
            dismissed = change_proposals.proposal_dismiss(user=request.user, proposal=proposal)
        return Response(ProposedChangeSerializer(dismissed).data)
