"""REST API v1 of the stage gates: ``gates/`` and ``gate-items/``.

Object checks go through ``stagegates.permissions`` (404 for what the user may not see, 403 for
what they see but may not do); writes go through the services, whose ``ValidationError`` is a 400
with field messages. A blocked ``scale`` decision is a 400 that lists ``blocking_conditions``.
"""

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from usecases.api import service_errors
from usecases.models import UseCase
from usecases.permissions import can_manage_gates

from . import decisions, selectors, services, voting
from . import permissions as perms
from .serializers import (
    AddItemSerializer,
    DecidedItemSerializer,
    DecisionInputSerializer,
    GateClosedSerializer,
    GateDetailSerializer,
    GateSerializer,
    GateWriteSerializer,
    ItemPackSerializer,
    ItemSummarySerializer,
    UndecidedItemSerializer,
    VoteInputSerializer,
)


def _gate_response(request, gate, *, status_code=status.HTTP_200_OK) -> Response:
    gate = selectors.gate_list(user=request.user).get(pk=gate.pk)
    lines = selectors.gate_agenda(user=request.user, gate=gate)
    context = {"lines": lines, "request": request}
    return Response(GateDetailSerializer(gate, context=context).data, status=status_code)


def _item_response(request, item, *, status_code=status.HTTP_200_OK, live=False) -> Response:
    line = selectors.item_pack(user=request.user, item=item, live=live)
    return Response(ItemPackSerializer(line, context={"request": request}).data, status=status_code)


@extend_schema_view(
    list=extend_schema(summary="Gates the user may see, newest quarter first"),
    create=extend_schema(
        summary="Create the gate of a quarter (PMO); its agenda fills itself",
        request=GateWriteSerializer,
        responses={201: GateDetailSerializer},
    ),
    retrieve=extend_schema(
        summary="One gate with its agenda items", responses={200: GateDetailSerializer}
    ),
    partial_update=extend_schema(
        summary="Change a gate's dates or chair (PMO, until closed)",
        request=GateWriteSerializer,
        responses={200: GateDetailSerializer},
    ),
)
class GateViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = GateSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.gate_list(user=self.request.user)

    def _gate(self, check=None):
        return perms.get_gate_for_user(self.request.user, self.kwargs["pk"], check=check)

    def create(self, request, *args, **kwargs):
        if not can_manage_gates(request.user):
            raise PermissionDenied("Only the PMO creates gates.")
        serializer = GateWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with service_errors():
            gate = services.gate_create(user=request.user, data=serializer.validated_data)
        return _gate_response(request, gate, status_code=status.HTTP_201_CREATED)

    def retrieve(self, request, *args, **kwargs):
        return _gate_response(request, self._gate())

    def partial_update(self, request, *args, **kwargs):
        gate = self._gate(check=lambda u, g: can_manage_gates(u))
        serializer = GateWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "quarter" in data and data.pop("quarter") != gate.quarter:
            return Response(
                {"quarter": ["The quarter of a gate cannot change."]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        with service_errors():
            gate = services.gate_update(user=request.user, gate=gate, data=data)
        return _gate_response(request, gate)

    @extend_schema(
        summary="Lock the agenda and open voting (PMO)",
        request=None,
        responses={200: GateDetailSerializer},
    )
    @action(detail=True, methods=["post"], url_path="open-voting")
    def open_voting(self, request, pk=None):
        gate = self._gate(check=lambda u, g: can_manage_gates(u))
        with service_errors():
            gate = services.gate_open_voting(user=request.user, gate=gate)
        return _gate_response(request, gate)

    @extend_schema(
        summary="Close voting (chair or PMO); the answer holds the close summary",
        description=(
            "Fixes each item's outcome: the choice with most votes once a quorum voted "
            "(`VALUEGATE_GATE_QUORUM`, default more than half of Leadership); too few votes or a "
            "tie: no outcome (`null`), and the chair decides explicitly. `summary` lists per item "
            "the votes cast and the outcome or why there is none, and the Leadership members who "
            "did not vote on every item (the same summary as the confirmation page)."
        ),
        request=None,
        responses={200: GateClosedSerializer},
    )
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        gate = self._gate(check=perms.can_close)
        with service_errors():
            gate = services.gate_close(user=request.user, gate=gate)
        gate = selectors.gate_list(user=request.user).get(pk=gate.pk)
        context = {
            "lines": selectors.gate_agenda(user=request.user, gate=gate),
            "summary": selectors.close_summary(user=request.user, gate=gate),
        }
        return Response(GateClosedSerializer(gate, context=context).data)

    @extend_schema(
        summary="Apply the agenda rules again on a draft gate (PMO)",
        request=None,
        responses={200: GateDetailSerializer},
    )
    @action(detail=True, methods=["post"], url_path="refresh-agenda")
    def refresh_agenda(self, request, pk=None):
        gate = self._gate(check=perms.can_edit_agenda)
        with service_errors():
            services.gate_refresh_agenda(user=request.user, gate=gate)
        return _gate_response(request, gate)

    @extend_schema(
        summary="Add a use case to a draft gate's agenda (PMO)",
        request=AddItemSerializer,
        responses={201: ItemPackSerializer},
    )
    @action(detail=True, methods=["post"])
    def items(self, request, pk=None):
        gate = self._gate(check=perms.can_edit_agenda)
        serializer = AddItemSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        use_case = UseCase.objects.filter(pk=serializer.validated_data["use_case"]).first()
        if use_case is None:
            return Response({"use_case": ["No such use case."]}, status=status.HTTP_400_BAD_REQUEST)
        with service_errors():
            item = services.gate_item_add(user=request.user, gate=gate, use_case=use_case)
        return _item_response(request, item, status_code=status.HTTP_201_CREATED)


@extend_schema_view(
    retrieve=extend_schema(
        summary="One agenda item with its gate pack (on a closed gate: as frozen at closing)",
        parameters=[
            OpenApiParameter(
                "live",
                bool,
                description="true: today's figures instead of the pack frozen at closing.",
            )
        ],
        responses={200: ItemPackSerializer},
    ),
    destroy=extend_schema(summary="Take the item off a draft gate's agenda (PMO)"),
)
class GateItemViewSet(mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    serializer_class = ItemSummarySerializer

    def get_queryset(self):
        return perms.visible_items(self.request.user)

    def _item(self, check=None):
        return perms.get_item_for_user(self.request.user, self.kwargs["pk"], check=check)

    def retrieve(self, request, *args, **kwargs):
        live = request.query_params.get("live") in ("1", "true")
        return _item_response(request, self._item(), live=live)

    @extend_schema(
        summary="Items closed without a decision, and the gate carrying each (PMO)",
        responses={200: UndecidedItemSerializer(many=True)},
    )
    @action(detail=False, methods=["get"])
    def undecided(self, request):
        if not can_manage_gates(request.user):
            raise PermissionDenied("Only the PMO sees the undecided items.")
        lines = selectors.undecided_items(user=request.user)
        page = self.paginate_queryset(lines)
        if page is not None:
            return self.get_paginated_response(UndecidedItemSerializer(page, many=True).data)
        return Response(UndecidedItemSerializer(lines, many=True).data)

    def destroy(self, request, *args, **kwargs):
        item = self._item(check=lambda u, i: perms.can_edit_agenda(u, i.gate))
        with service_errors():
            services.gate_item_remove(user=request.user, item=item)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Cast or change your vote (Leadership, while the gate is open for votes)",
        request=VoteInputSerializer,
        responses={201: ItemPackSerializer, 200: ItemPackSerializer},
    )
    @action(detail=True, methods=["post"])
    def vote(self, request, pk=None):
        item = self._item(check=perms.can_vote_on)
        serializer = VoteInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with service_errors():
            _, created = voting.vote_cast(user=request.user, item=item, **serializer.validated_data)
        return _item_response(
            request, item, status_code=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    @extend_schema(
        summary="Record the decision (the chair, after closing); it applies to the use case",
        description=(
            "`decision` may be left out only when the item has a vote outcome. The answer is the "
            "item's pack with `effect`: the use case's stage and funding before and after."
        ),
        request=DecisionInputSerializer,
        responses={
            200: DecidedItemSerializer,
            400: OpenApiResponse(
                description="Invalid, or scale blocked: ``blocking_conditions`` lists why."
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        item = self._item(check=lambda u, i: perms.can_decide(u, i.gate))
        serializer = DecisionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with service_errors():
            record = decisions.decision_record(
                user=request.user,
                item=item,
                decision=serializer.validated_data.get("decision"),
                rationale=serializer.validated_data.get("rationale", ""),
            )
        line = selectors.item_pack(user=request.user, item=item)
        context = {"effect": decisions.effect_of(record)}
        return Response(DecidedItemSerializer(line, context=context).data)
