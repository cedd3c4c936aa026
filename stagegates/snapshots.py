"""A closed gate never changes: every agenda item's pack is frozen at closing (issue 15).

``freeze(gate)`` runs inside the closing transaction (``services.gate_close``), after the status
change: it builds the packs of every on-agenda item the way the gate page builds several items
(``gatepack.build_packs(detail=True)``: a fixed number of queries whatever the agenda's length),
reads their votes (one query) and writes one ``GateItemSnapshot`` per item (one INSERT). The
snapshot holds what the pack page shows — the CFO figures month by month, the waterfall, the
90-day figure, the trend against the thresholds, the model/prompt changes with their impact,
the open flags, the scale blockers and the
checklist status, the scenario comparison, the recommendation with its reasons, the vote outcome
and the votes — as JSON (``pack_json``): Decimals as strings (unrounded), dates and times ISO.

After closing, the pack page, the gate page and ``GET /api/v1/gate-items/{id}/`` show the
snapshot: ``frozen_pack`` and ``frozen_votes`` turn the JSON back into the objects the templates
and serializers read (a ``GatePack`` of value objects); nothing is read from the reviews, flags or
checklist again. ``?live=1`` on the pack page shows today's figures instead ("today's live
figures").

The JSON shape has a version (``BUILDER_VERSION``, kept on each row): a change of the shape bumps
it, and ``frozen_pack`` keeps reading the older versions.
"""

import dataclasses
import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model

from reviews.change_impact import ChangeImpact, MetricImpact
from reviews.models import Flag, StopLossRule
from reviews.thresholds import Threshold
from usecases import clock, economics

from .checklist import ChecklistStatusLine, Evidence
from .decisions import Blocker
from .gatepack import ChangeLine, GatePack, MonthLine, ScenarioLine, build_packs
from .models import Gate, GateItem, GateItemSnapshot, Vote
from .permissions import can_see_votes
from .recommendation import Recommendation
from .voting import ItemVotes

BUILDER_VERSION = 1


# --- JSON -----------------------------------------------------------------------------------------
def _plain(value: Any) -> Any:
    """JSON-ready: Decimals as strings, dates ISO, dataclasses as dicts of their fields."""
    if isinstance(value, Decimal):
        return f"{value:f}"  # fixed notation, every digit kept
    if isinstance(value, datetime.date):  # datetime too
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _vote_json(vote: Vote) -> dict:
    return {
        "voter_id": vote.voter_id,
        "voter": vote.voter.username,
        "first_name": vote.voter.first_name,
        "last_name": vote.voter.last_name,
        "choice": vote.choice,
        "rationale": vote.rationale,
        "updated_at": _plain(vote.updated_at),
    }


def pack_json(pack: GatePack, votes: list[Vote], *, taken_at: datetime.datetime) -> dict:
    """The snapshot of one item's pack (``pack`` built with ``detail=True``)."""
    item, uc = pack.item, pack.item.use_case
    return {
        "builder_version": BUILDER_VERSION,
        "snapshot_taken_at": _plain(taken_at),
        "gate": {"id": item.gate_id, "quarter": item.gate.quarter},
        "item": {"id": item.pk, "reasons": item.reasons, "outcome": item.outcome},
        "use_case": {
            "id": uc.pk,
            "name": uc.name,
            "stage": uc.stage,
            "funding_status": uc.funding_status,
            "scaled_on": _plain(uc.scaled_on),
        },
        "quarter_label": pack.quarter_label,
        "figures": _figures_json(pack.figures),
        "months": [
            {
                "month": _plain(m.month),
                "label": m.label,
                "figures": _figures_json(m.figures),
                "has_monthly_review": m.has_monthly_review,
                "has_data": m.has_data,
            }
            for m in pack.months
        ],
        "waterfall": [{**_plain(s), "label": s.explained_label} for s in pack.waterfall],
        "ninety_days": _plain(pack.ninety_days),
        "adoption_rate": _plain(pack.adoption_rate),
        "weeks_reviewed": pack.weeks_reviewed,
        "quarter_weeks": pack.quarter_weeks,
        "scenarios": [_plain(s) for s in pack.scenarios],
        "thresholds": [
            {
                "rule_id": t.rule.pk,
                "metric": t.metric,
                "label": t.label,
                "comparison": t.comparison,
                "threshold": _plain(t.threshold),
                "consecutive_weeks": t.consecutive_weeks,
                "action": t.action,
                "use_case_id": t.rule.use_case_id,
            }
            for t in pack.thresholds
        ],
        "trend": [
            {
                "week": w.week,
                "week_start": _plain(w.week_start),
                "adoption_rate": _plain(w.adoption_rate),
                "rework_rate": _plain(w.rework_rate),
                "exception_share": _plain(w.exception_share),
                "quality_score": _plain(w.quality_score),
                "breaches": list(w.breaches),
            }
            for w in pack.trend
        ],
        "open_flags": [
            {
                "id": f.pk,
                "kind": f.kind,
                "kind_label": f.get_kind_display(),
                "period": f.period,
                "explanation": f.explanation,
                "raised_at": _plain(f.raised_at),
            }
            for f in pack.open_flags
        ],
        "blockers": [_plain(b) for b in pack.blockers],
        "checklist": [_plain(line) for line in pack.checklist],
        "changes": [_plain(line) for line in pack.changes],
        "recommendation": {
            "choice": pack.recommendation.choice,
            "label": pack.recommendation.label,
            "reasons": list(pack.recommendation.reasons),
        },
        "outcome": item.outcome,
        "votes": [_vote_json(v) for v in votes],
    }


# --- freezing -------------------------------------------------------------------------------------
def freeze(gate: Gate) -> list[GateItemSnapshot]:
    """Freeze the pack of every on-agenda item of ``gate`` (just closed; inside its transaction).

    A fixed number of queries whatever the number of items (``build_packs``, one for the votes,
    one INSERT). Items frozen already are left alone (closing happens once; this is a guard).
    """
    items = list(
        GateItem.objects.on_agenda()
        .filter(gate=gate, snapshot__isnull=True)
        .select_related("use_case", "use_case__business_case")
    )
    if not items:
        return []
    for item in items:
        item.gate = gate
    taken_at = clock.now()
    packs = build_packs(items, gate, detail=True, today=clock.today())
    votes: dict[int, list[Vote]] = {item.pk: [] for item in items}
    for vote in (
        Vote.objects.filter(item__in=list(votes))
        .select_related("voter")
        .order_by("item_id", "voter__username")
    ):
        votes[vote.item_id].append(vote)
    return GateItemSnapshot.objects.bulk_create(
        GateItemSnapshot(
            item=item,
            pack=pack_json(packs[item.pk], votes[item.pk], taken_at=taken_at),
            taken_at=taken_at,
            builder_version=BUILDER_VERSION,
        )
        for item in items
    )


# --- reading back ---------------------------------------------------------------------------------
def _dec(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _date(text: str | None) -> datetime.date | None:
    return None if text is None else datetime.date.fromisoformat(text)


def _moment(text: str | None) -> datetime.datetime | None:
    return None if text is None else datetime.datetime.fromisoformat(text)


#: The CFO figures a snapshot keeps (as shown: rounded by ``usecases.money``; snapshots taken
#: before that hold the same keys).
FIGURE_KEYS = tuple(f.name for f in dataclasses.fields(economics.PeriodFigures))


def _figures_json(figures) -> dict:
    return {name: _plain(getattr(figures, name)) for name in FIGURE_KEYS}


def _figures(data: dict) -> economics.PeriodFigures:
    return economics.PeriodFigures(**{name: Decimal(value) for name, value in data.items()})


@dataclasses.dataclass(frozen=True)
class FrozenTrendWeek:
    """One week of the trend table as frozen (``reviews.thresholds.TrendWeek``'s shown values)."""

    week: str
    week_start: datetime.date
    adoption_rate: Decimal
    rework_rate: Decimal
    exception_share: Decimal
    quality_score: Decimal
    breaches: tuple[str, ...]


def frozen_pack(snapshot: GateItemSnapshot, item: GateItem) -> GatePack:
    """The ``GatePack`` of ``snapshot``'s JSON (value objects only; no query)."""
    data = snapshot.pack
    nd = data["ninety_days"]
    return GatePack(
        item=item,
        months=[
            MonthLine(
                month=_date(m["month"]),
                figures=_figures(m["figures"]),
                has_monthly_review=m["has_monthly_review"],
                has_data=m.get("has_data", True),
            )
            for m in data["months"]
        ],
        figures=_figures(data["figures"]),
        waterfall=[
            economics.WaterfallStep(s["step"], s["leakage_point"], Decimal(s["amount"]))
            for s in data["waterfall"]
        ],
        ninety_days=economics.NinetyDayValue(
            status=nd["status"],
            value=_dec(nd["value"]),
            months_available=nd["months_available"],
            months=tuple(tuple(m) for m in nd["months"]),
        ),
        adoption_rate=_dec(data["adoption_rate"]),
        weeks_reviewed=data["weeks_reviewed"],
        quarter_weeks=data["quarter_weeks"],
        scenarios=[
            ScenarioLine(
                scenario=s["scenario"],
                adoption=Decimal(s["adoption"]),
                weekly_net=Decimal(s["weekly_net"]),
                quarter_net=Decimal(s["quarter_net"]),
                actual_adoption=_dec(s["actual_adoption"]),
                actual_net=Decimal(s["actual_net"]),
            )
            for s in data["scenarios"]
        ],
        open_flags=[
            Flag(
                pk=f["id"],
                use_case_id=item.use_case_id,
                kind=f["kind"],
                period=f["period"],
                explanation=f["explanation"],
                raised_at=_moment(f["raised_at"]),
            )
            for f in data["open_flags"]
        ],
        blockers=[Blocker(b["code"], b["message"]) for b in data["blockers"]],
        recommendation=Recommendation(
            data["recommendation"]["choice"], tuple(data["recommendation"]["reasons"])
        ),
        thresholds=[
            Threshold(
                StopLossRule(
                    pk=t["rule_id"],
                    use_case_id=t["use_case_id"],
                    metric=t["metric"],
                    comparison=t["comparison"],
                    threshold=Decimal(t["threshold"]),
                    consecutive_weeks=t["consecutive_weeks"],
                    action=t["action"],
                )
            )
            for t in data["thresholds"]
        ],
        trend=[
            FrozenTrendWeek(
                week=w["week"],
                week_start=_date(w["week_start"]),
                adoption_rate=Decimal(w["adoption_rate"]),
                rework_rate=Decimal(w["rework_rate"]),
                exception_share=Decimal(w["exception_share"]),
                quality_score=Decimal(w["quality_score"]),
                breaches=tuple(w["breaches"]),
            )
            for w in data["trend"]
        ],
        checklist=[
            ChecklistStatusLine(
                code=c["code"],
                label=c["label"],
                section=c["section"],
                answer=c["answer"],
                answer_evidence=c["answer_evidence"],
                data=Evidence(**c["data"]) if c["data"] is not None else None,
            )
            for c in data["checklist"]
        ],
        changes=[_change_line(c) for c in data.get("changes", [])],  # none before issue 17
    )


def _change_line(data: dict) -> ChangeLine:
    impact = data["impact"]
    return ChangeLine(
        version_label=data["version_label"],
        kind_label=data["kind_label"],
        effective_date=_date(data["effective_date"]),
        impact=ChangeImpact(
            **{
                **impact,
                "weeks_before": tuple(impact["weeks_before"]),
                "weeks_after": tuple(impact["weeks_after"]),
                "metrics": tuple(
                    MetricImpact(**{**m, "before": _dec(m["before"]), "after": _dec(m["after"])})
                    for m in impact["metrics"]
                ),
            }
        ),
    )


def frozen_votes(user, snapshot: GateItemSnapshot, item: GateItem) -> ItemVotes:
    """What ``user`` may see of the votes frozen in ``snapshot`` (the rules of
    ``permissions.can_see_votes`` for a closed gate); unsaved ``Vote`` objects, no query."""
    User = get_user_model()
    votes = [
        Vote(
            item=item,
            voter=User(
                pk=v["voter_id"],
                username=v["voter"],
                first_name=v["first_name"],
                last_name=v["last_name"],
            ),
            choice=v["choice"],
            rationale=v["rationale"],
            updated_at=_moment(v["updated_at"]),
        )
        for v in snapshot.pack["votes"]
    ]
    mine = next((v for v in votes if user.is_authenticated and v.voter.pk == user.pk), None)
    if can_see_votes(user, item, has_voted=mine is not None):
        return ItemVotes(mine=mine, visible=True, votes=votes)
    return ItemVotes(mine=mine)
