"""API shapes of gates, agenda items and their packs. Money as strings with 2 decimals, fractions
0..1 as strings with 4 decimals (``usecases.serializers`` conventions).

Blind voting: an item's ``votes`` and ``vote_counts`` keys are present only when the user may see
them (``stagegates.permissions.can_see_votes``); otherwise ``votes_visible`` is false and neither
key exists — no choice, rationale or count leaks before one's own vote.

Once a gate is closed an item's pack is the one frozen at closing (``snapshot_taken_at`` says
when; ``live_figures_url`` leads to today's figures; ``?live=true`` on the item asks for them).
"""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from reviews.serializers import NinetyDaySerializer, WaterfallStepSerializer
from usecases.fastpaths import ClassFieldsMixin
from usecases.serializers import (
    FractionField,
    MoneyField,
    RejectUnknownFieldsMixin,
    UsernameField,
)

from .models import Choice, Gate

User = get_user_model()


class GateWriteSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """Create (all fields) or partially update (dates, chair) a gate; rules in the services."""

    quarter = serializers.CharField(max_length=7, help_text="Calendar quarter, e.g. 2026-Q4.")
    opens_on = serializers.DateField()
    closes_on = serializers.DateField()
    chair = UsernameField(
        queryset=User.objects.filter(is_active=True),
        help_text="Username of a Leadership member.",
    )


class GateSerializer(ClassFieldsMixin, serializers.ModelSerializer):
    chair = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    item_count = serializers.IntegerField(
        read_only=True, help_text="Agenda items the user may see."
    )

    class Meta:
        model = Gate
        fields = [
            "id",
            "quarter",
            "opens_on",
            "closes_on",
            "chair",
            "status",
            "voting_opened_at",
            "closed_at",
            "item_count",
        ]
        read_only_fields = fields


class RecommendationSerializer(serializers.Serializer):
    choice = serializers.ChoiceField(choices=Choice.choices, read_only=True)
    label = serializers.CharField(
        read_only=True, help_text='E.g. "Hold", or "Continue at scale, funded".'
    )
    reasons = serializers.ListField(child=serializers.CharField(), read_only=True)


class DecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Choice.choices, read_only=True)
    outcome = serializers.ChoiceField(
        choices=Choice.choices, read_only=True, help_text="The vote outcome."
    )
    is_override = serializers.BooleanField(read_only=True)
    rationale = serializers.CharField(read_only=True)
    decided_by = serializers.CharField(
        source="decided_by.username", read_only=True, allow_null=True
    )
    decided_at = serializers.DateTimeField(read_only=True)
    snapshot = serializers.IntegerField(
        source="snapshot_id",
        read_only=True,
        allow_null=True,
        help_text="The frozen pack the decision was taken on (null: closed before packs froze).",
    )


class MonthSerializer(serializers.Serializer):
    month = serializers.CharField(source="label", read_only=True)
    gross_efficiency = MoneyField(source="figures.gross_efficiency")
    translation_gap = MoneyField(source="figures.translation_gap")
    absorption_cost = MoneyField(source="figures.absorption_cost")
    net_value = MoneyField(source="figures.net_value")
    has_monthly_review = serializers.BooleanField(read_only=True)


class ScenarioSerializer(serializers.Serializer):
    scenario = serializers.CharField(read_only=True)
    adoption = FractionField()
    weekly_net = MoneyField()
    quarter_net = MoneyField(help_text="weekly_net × the quarter's weeks.")
    actual_adoption = FractionField(allow_null=True)
    actual_net = MoneyField()


class FlagSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    kind = serializers.CharField(read_only=True)
    period = serializers.CharField(read_only=True)
    explanation = serializers.CharField(read_only=True)
    raised_at = serializers.DateTimeField(read_only=True)


class ChecklistLineSerializer(serializers.Serializer):
    item = serializers.CharField(source="code", read_only=True)
    label = serializers.CharField(read_only=True)
    section = serializers.CharField(read_only=True)
    answer = serializers.CharField(read_only=True, allow_null=True)
    evidence = serializers.CharField(source="answer_evidence", read_only=True)
    data_evidence = serializers.CharField(source="data.text", read_only=True, allow_null=True)
    suggested = serializers.CharField(source="data.suggested", read_only=True, allow_null=True)


class TrendRowSerializer(serializers.Serializer):
    week = serializers.CharField(read_only=True)
    adoption_rate = FractionField()
    rework_rate = FractionField()
    exception_share = FractionField()
    quality_score = serializers.DecimalField(max_digits=5, decimal_places=2, read_only=True)
    breaches = serializers.ListField(child=serializers.CharField(), read_only=True)


def _vote_dict(vote) -> dict:
    return {
        "voter": vote.voter.username,
        "choice": vote.choice,
        "rationale": vote.rationale,
        "updated_at": serializers.DateTimeField().to_representation(vote.updated_at),
    }


class ItemSummarySerializer(serializers.Serializer):
    """An agenda line (``selectors.AgendaLine``): the item, its pack's headline figures, the
    recommendation, the decision and the votes the user may see."""

    id = serializers.IntegerField(source="item.pk", read_only=True)
    gate = serializers.IntegerField(source="item.gate_id", read_only=True)
    use_case = serializers.IntegerField(source="item.use_case_id", read_only=True)
    use_case_name = serializers.CharField(source="item.use_case.name", read_only=True)
    stage = serializers.CharField(source="item.use_case.stage", read_only=True)
    funding_status = serializers.CharField(source="item.use_case.funding_status", read_only=True)
    reasons = serializers.CharField(source="item.reasons", read_only=True)
    on_agenda = serializers.BooleanField(source="item.on_agenda", read_only=True)
    quarter_months = serializers.CharField(source="pack.quarter_label", read_only=True)
    net_value = MoneyField(source="pack.figures.net_value")
    net_value_90_days = NinetyDaySerializer(source="pack.ninety_days", read_only=True)
    recommendation = RecommendationSerializer(source="pack.recommendation", read_only=True)
    scale_blockers = serializers.SerializerMethodField()
    outcome = serializers.SerializerMethodField()
    outcome_text = serializers.SerializerMethodField(
        help_text='After closing: "Scale", "no quorum (2 of 5 voted, 3 needed)", "tied (…)".'
    )
    decision = DecisionSerializer(read_only=True, allow_null=True)
    my_vote = serializers.SerializerMethodField()
    votes_visible = serializers.BooleanField(source="votes.visible", read_only=True)
    snapshot_taken_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="When the pack shown was frozen (the gate's closing); null: today's figures.",
    )
    live_figures_url = serializers.SerializerMethodField(
        help_text="Today's live figures of a frozen pack (the pack page with ?live=1); null "
        "while the pack is live."
    )

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_scale_blockers(self, line) -> list[str]:
        return [b.message for b in line.pack.blockers]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_outcome(self, line):
        return line.item.outcome or None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_outcome_text(self, line):
        return line.tally.text if line.tally is not None else None

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_live_figures_url(self, line):
        if not line.frozen:
            return None
        url = f"{line.item.get_absolute_url()}?live=1"
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_my_vote(self, line):
        mine = line.votes.mine
        return {"choice": mine.choice, "rationale": mine.rationale} if mine else None

    def to_representation(self, line):
        data = super().to_representation(line)
        if line.votes.visible:  # only then do these keys exist at all
            data["vote_counts"] = {choice: n for choice, _, n in line.votes.counts}
            data["votes"] = [_vote_dict(v) for v in line.votes.votes]
        return data


class ItemPackSerializer(ItemSummarySerializer):
    """The whole gate pack of one item."""

    gross_efficiency = MoneyField(source="pack.figures.gross_efficiency")
    translation_gap = MoneyField(source="pack.figures.translation_gap")
    absorption_cost = MoneyField(source="pack.figures.absorption_cost")
    months = MonthSerializer(source="pack.months", many=True, read_only=True)
    waterfall = WaterfallStepSerializer(source="pack.waterfall", many=True, read_only=True)
    actual_adoption = FractionField(source="pack.adoption_rate", allow_null=True)
    scenarios = ScenarioSerializer(source="pack.scenarios", many=True, read_only=True)
    open_flags = FlagSummarySerializer(source="pack.open_flags", many=True, read_only=True)
    checklist = ChecklistLineSerializer(source="pack.checklist", many=True, read_only=True)
    trend = TrendRowSerializer(source="pack.trend", many=True, read_only=True)


class GateDetailSerializer(GateSerializer):
    items = serializers.SerializerMethodField()

    class Meta(GateSerializer.Meta):
        fields = [*GateSerializer.Meta.fields, "items"]
        read_only_fields = fields

    @extend_schema_field(ItemSummarySerializer(many=True))
    def get_items(self, gate):
        return ItemSummarySerializer(self.context["lines"], many=True, context=self.context).data


class SummaryItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="item.pk", read_only=True)
    use_case = serializers.IntegerField(source="item.use_case_id", read_only=True)
    use_case_name = serializers.CharField(source="item.use_case.name", read_only=True)
    votes = serializers.IntegerField(read_only=True, help_text="Votes cast on the item.")
    outcome = serializers.SerializerMethodField(
        help_text="The vote outcome; null without a quorum, on a tie, or while hidden (blind)."
    )
    has_quorum = serializers.BooleanField(source="tally.has_quorum", read_only=True)
    tied = serializers.BooleanField(source="tally.tied", read_only=True)
    outcome_text = serializers.CharField(
        source="text",
        read_only=True,
        help_text='E.g. "Scale", "no quorum (2 of 5 voted, 3 needed)", "tied (Scale 1 · Stop 1)".',
    )

    @extend_schema_field(serializers.ChoiceField(choices=Choice.choices, allow_null=True))
    def get_outcome(self, line):
        return line.outcome or None


class MissingVoterSerializer(serializers.Serializer):
    username = serializers.CharField(source="member.username", read_only=True)
    name = serializers.CharField(read_only=True)
    voted = serializers.IntegerField(read_only=True, help_text="Items the member voted on.")
    items = serializers.IntegerField(read_only=True, help_text="Items on the agenda.")


class CloseSummarySerializer(serializers.Serializer):
    """``stagegates.selectors.close_summary``: what closing fixed."""

    members = serializers.IntegerField(
        read_only=True, help_text="Leadership members who could vote."
    )
    quorum = serializers.IntegerField(read_only=True, help_text="Votes needed for an outcome.")
    without_votes = serializers.IntegerField(read_only=True)
    without_outcome = serializers.IntegerField(
        read_only=True, help_text="Items without an outcome: the chair decides them explicitly."
    )
    items = SummaryItemSerializer(source="lines", many=True, read_only=True)
    missing_voters = MissingVoterSerializer(
        many=True, read_only=True, help_text="Members who did not vote on every item."
    )


class GateClosedSerializer(GateDetailSerializer):
    """The closed gate with its close ``summary``."""

    summary = serializers.SerializerMethodField()

    class Meta(GateDetailSerializer.Meta):
        fields = [*GateDetailSerializer.Meta.fields, "summary"]
        read_only_fields = fields

    @extend_schema_field(CloseSummarySerializer)
    def get_summary(self, gate):
        return CloseSummarySerializer(self.context["summary"]).data


class EffectSerializer(serializers.Serializer):
    stage_before = serializers.CharField(read_only=True)
    stage_after = serializers.CharField(read_only=True)
    funding_before = serializers.CharField(read_only=True)
    funding_after = serializers.CharField(read_only=True)


class DecidedItemSerializer(ItemPackSerializer):
    """The decided item's pack and the ``effect`` of the decision on its use case."""

    effect = serializers.SerializerMethodField()

    @extend_schema_field(EffectSerializer)
    def get_effect(self, line):
        return self.context["effect"]


class VoteInputSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    choice = serializers.ChoiceField(choices=Choice.choices)
    rationale = serializers.CharField(help_text="Required.")


class DecisionInputSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    decision = serializers.ChoiceField(
        choices=Choice.choices,
        required=False,
        help_text="Default: the vote outcome; required when the item has none (no quorum, tie).",
    )
    rationale = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Required when the decision departs from the vote outcome; always accepted.",
    )


class AddItemSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    use_case = serializers.IntegerField(help_text="Id of the use case to add.")


class UndecidedItemSerializer(serializers.Serializer):
    """An item closed without a decision (``selectors.UndecidedLine``)."""

    id = serializers.IntegerField(source="item.pk", read_only=True)
    gate = serializers.IntegerField(source="item.gate_id", read_only=True)
    quarter = serializers.CharField(source="item.gate.quarter", read_only=True)
    closed_at = serializers.DateTimeField(source="item.gate.closed_at", read_only=True)
    use_case = serializers.IntegerField(source="item.use_case_id", read_only=True)
    use_case_name = serializers.CharField(source="item.use_case.name", read_only=True)
    outcome = serializers.CharField(source="item.outcome", read_only=True)
    carried_to_item = serializers.IntegerField(
        source="carried_to.pk", read_only=True, allow_null=True
    )
    carried_to_quarter = serializers.CharField(
        source="carried_to.gate.quarter", read_only=True, allow_null=True
    )
