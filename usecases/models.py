"""Use cases and what belongs to them: business case, contributors, model/prompt log, checklist."""

from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from simple_history.models import HistoricalRecords

from . import economics
from .templatetags.fixed_urls import reverse_int
from .text import free_text, single_line

FRACTION = [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))]
NON_NEGATIVE = [MinValueValidator(Decimal(0))]


class Stage(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    PILOT = "pilot", "Pilot"
    ROLLOUT = "rollout", "Rollout"
    SCALED = "scaled", "Scaled"
    REDESIGN = "redesign", "Redesign"
    ON_HOLD = "on_hold", "On hold"
    STOPPED = "stopped", "Stopped"


#: Stages in which weekly and monthly reviews are due.
REVIEW_STAGES = (Stage.ROLLOUT, Stage.SCALED, Stage.REDESIGN)


class Funding(models.TextChoices):
    FUNDED = "funded", "Funded"
    CONDITIONAL = "conditional", "Conditional"
    FROZEN = "frozen", "Frozen"
    ENDED = "ended", "Ended"


NAME_TAKEN = "A use case with this name already exists."
#: Labels by value: what Django's ``get_FOO_display`` answers, without building the choices'
#: dict on every call (the portfolio pages show a stage and a funding status per row).
STAGE_LABELS = dict(Stage.choices)
FUNDING_LABELS = dict(Funding.choices)


class UseCaseQuerySet(models.QuerySet):
    def reviews_due(self):
        return self.filter(stage__in=REVIEW_STAGES)


class UseCase(models.Model):
    name = models.CharField(max_length=120, unique=True, validators=[single_line])
    description = free_text(blank=True)
    business_unit = models.CharField(max_length=80, db_index=True, validators=[single_line])
    workflow = models.CharField(
        max_length=160,
        blank=True,
        validators=[single_line],
        help_text="The business workflow the AI is embedded in.",
    )
    stage = models.CharField(
        max_length=12, choices=Stage.choices, default=Stage.PROPOSED, db_index=True
    )
    value_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_use_cases",
        help_text="The one person accountable for this use case's net value.",
    )
    contributors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="contributed_use_cases"
    )
    target_users = models.PositiveIntegerField(
        default=0, help_text="Headcount of the population meant to use it."
    )
    live_since = models.DateField(null=True, blank=True, help_text="Date it went into production.")
    scaled_on = models.DateField(null=True, blank=True, help_text="Date it reached full scale.")
    funding_status = models.CharField(
        max_length=12, choices=Funding.choices, default=Funding.CONDITIONAL, db_index=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(m2m_fields=[contributors])
    objects = UseCaseQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            # Names that differ only in case are one name (usecases 0006 reports old clashes).
            models.UniqueConstraint(
                Lower("name"),
                name="unique_use_case_name_ci",
                violation_error_message=NAME_TAKEN,
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse_int("usecases:detail", self.pk)

    def get_stage_display(self) -> str:
        return STAGE_LABELS.get(self.stage, self.stage)

    def get_funding_status_display(self) -> str:
        return FUNDING_LABELS.get(self.funding_status, self.funding_status)

    def clean(self):
        """Names that differ only in case are taken (the exact name: ``unique``)."""
        if self.name:
            clash = (
                UseCase.objects.filter(name__iexact=self.name)
                .exclude(name=self.name)
                .exclude(pk=self.pk)
            )
            if clash.exists():
                raise ValidationError({"name": [NAME_TAKEN]})

    @property
    def reviews_due(self) -> bool:
        return self.stage in REVIEW_STAGES


def _fraction_or_none(value):
    try:
        return value if value is not None and 0 <= value <= 1 else None
    except TypeError:  # not a number (yet): the field reports it
        return None


def _percent(fraction) -> str:
    """``Decimal("0.6500")`` → ``"65 %"``."""
    return f"{(Decimal(fraction) * 100).normalize():f} %"


class BaselineSource(models.TextChoices):
    PRODUCTION = "production", "Production data"
    PILOT = "pilot", "Pilot / test data"


class BusinessCase(models.Model):
    """One per use case. Every saved version is kept in ``history`` (newest first)."""

    use_case = models.OneToOneField(UseCase, on_delete=models.CASCADE, related_name="business_case")
    baseline_tasks_per_week = models.DecimalField(
        max_digits=12, decimal_places=2, default=0, validators=NON_NEGATIVE
    )
    baseline_minutes_per_task = models.DecimalField(
        max_digits=8, decimal_places=2, default=0, validators=NON_NEGATIVE
    )
    baseline_source = models.CharField(
        max_length=12, choices=BaselineSource.choices, default=BaselineSource.PILOT
    )
    hourly_cost = models.DecimalField(
        max_digits=10, decimal_places=2, default=0, validators=NON_NEGATIVE
    )
    pilot_effort_reduction = models.DecimalField(
        max_digits=5,
        decimal_places=4,
        default=0,
        validators=FRACTION,
        help_text="Fraction of effort the pilot saved, e.g. 0.30.",
    )
    reclaimable_share = models.DecimalField(
        max_digits=5,
        decimal_places=4,
        default=0,
        validators=FRACTION,
        help_text="Fraction of saved time that turns into money.",
    )
    adoption_pessimistic = models.DecimalField(
        max_digits=5, decimal_places=4, default=0, validators=FRACTION
    )
    adoption_base = models.DecimalField(
        max_digits=5, decimal_places=4, default=0, validators=FRACTION
    )
    adoption_optimistic = models.DecimalField(
        max_digits=5, decimal_places=4, default=0, validators=FRACTION
    )
    planned_monthly_run_cost = models.DecimalField(
        max_digits=12, decimal_places=2, default=0, validators=NON_NEGATIVE
    )
    planned_monthly_support_cost = models.DecimalField(
        max_digits=12, decimal_places=2, default=0, validators=NON_NEGATIVE
    )
    planned_monthly_maintenance_cost = models.DecimalField(
        max_digits=12, decimal_places=2, default=0, validators=NON_NEGATIVE
    )
    one_off_integration_cost = models.DecimalField(
        max_digits=12, decimal_places=2, default=0, validators=NON_NEGATIVE
    )
    one_off_training_cost = models.DecimalField(
        max_digits=12, decimal_places=2, default=0, validators=NON_NEGATIVE
    )
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    def __str__(self):
        return f"Business case of {self.use_case}"

    def clean(self):
        """The adoption scenarios are in order: pessimistic <= base <= optimistic (values outside
        0..1 are their fields' errors and not compared)."""
        pessimistic, base, optimistic = (
            _fraction_or_none(self.adoption_pessimistic),
            _fraction_or_none(self.adoption_base),
            _fraction_or_none(self.adoption_optimistic),
        )
        errors = {}
        if pessimistic is not None and base is not None and pessimistic > base:
            errors["adoption_pessimistic"] = [
                f"The pessimistic adoption ({_percent(pessimistic)}) cannot be above the base "
                f"({_percent(base)})."
            ]
        if base is not None and optimistic is not None and base > optimistic:
            errors["adoption_optimistic"] = [
                f"The optimistic adoption ({_percent(optimistic)}) cannot be below the base "
                f"({_percent(base)})."
            ]
        if errors:
            raise ValidationError(errors)

    def inputs(self) -> economics.BusinessCaseInputs:
        """The numbers the economics engine needs, as plain values."""
        return economics.BusinessCaseInputs(
            baseline_tasks_per_week=self.baseline_tasks_per_week,
            baseline_minutes_per_task=self.baseline_minutes_per_task,
            pilot_effort_reduction=self.pilot_effort_reduction,
            hourly_cost=self.hourly_cost,
            reclaimable_share=self.reclaimable_share,
            adoption_pessimistic=self.adoption_pessimistic,
            adoption_base=self.adoption_base,
            adoption_optimistic=self.adoption_optimistic,
            planned_monthly_run_cost=self.planned_monthly_run_cost,
            planned_monthly_support_cost=self.planned_monthly_support_cost,
            planned_monthly_maintenance_cost=self.planned_monthly_maintenance_cost,
            one_off_integration_cost=self.one_off_integration_cost,
            one_off_training_cost=self.one_off_training_cost,
        )

    @property
    def has_scenarios(self) -> bool:
        return all(
            v > 0 for v in (self.adoption_pessimistic, self.adoption_base, self.adoption_optimistic)
        )


class ChangeKind(models.TextChoices):
    MODEL = "model", "Model"
    PROMPT = "prompt", "Prompt"
    CONFIG = "config", "Configuration"


class ModelChange(models.Model):
    """An entry of the model/prompt log. Weekly reviews name the version in use."""

    use_case = models.ForeignKey(UseCase, on_delete=models.CASCADE, related_name="model_changes")
    version_label = models.CharField(max_length=60, validators=[single_line])
    kind = models.CharField(max_length=8, choices=ChangeKind.choices)
    effective_date = models.DateField()
    description = free_text(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["use_case", "-effective_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["use_case", "version_label"], name="unique_version_label_per_use_case"
            )
        ]
        indexes = [models.Index(fields=["use_case", "effective_date"])]

    def __str__(self):
        return f"{self.version_label} ({self.get_kind_display()}, {self.effective_date})"


class ProposalStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    CONFIRMED = "confirmed", "Confirmed"
    DISMISSED = "dismissed", "Dismissed"


class ProposedChange(models.Model):
    """A model or prompt version first seen in a use case's telemetry, proposed to its value
    owner as a change-log entry (``usecases.change_proposals``). Confirmed, it becomes a
    ``ModelChange`` (``change``); dismissed, it stays as the record that it was seen. One row per
    (use case, kind, new value), whoever races: the unique constraint, not a read-then-write."""

    use_case = models.ForeignKey(UseCase, on_delete=models.CASCADE, related_name="proposed_changes")
    kind = models.CharField(max_length=8, choices=ChangeKind.choices)
    previous_value = models.CharField(max_length=200, blank=True)
    new_value = models.CharField(max_length=200)
    first_seen = models.DateField(help_text="The day of the first span that named it.")
    status = models.CharField(
        max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.PROPOSED
    )
    change = models.OneToOneField(
        ModelChange, null=True, blank=True, on_delete=models.SET_NULL, related_name="proposal"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["use_case", "-first_seen", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["use_case", "kind", "new_value"], name="unique_proposed_change"
            )
        ]
        indexes = [models.Index(fields=["use_case", "status"])]

    def __str__(self):
        return f"{self.get_kind_display()} {self.previous_value} → {self.new_value}"

    @property
    def what_changed(self) -> str:
        """``Model gpt-4o → gpt-4.1``."""
        return f"{self.get_kind_display()} {self.previous_value or '—'} → {self.new_value}"


class ChecklistItem(models.TextChoices):
    T1 = "T1", "Baseline from production data, not test data"
    T2 = "T2", "Benefit turned into economic impact, not just minutes"
    T3 = "T3", "Business case has adoption scenarios"
    A1 = "A1", "Share of target users actively using it is measured"
    A2 = "A2", "Managers enforce the new way of working and track adoption"
    A3 = "A3", "User barriers collected and closed in short cycles"
    E1 = "E1", "Rework rate measured"
    E2 = "E2", "AI embedded in the workflow, not a step beside it"
    E3 = "E3", "Integration and support costs tracked against plan"
    Q1 = "Q1", "Quality thresholds and escalation conditions exist"
    Q2 = "Q2", "High-impact output gets human review"
    Q3 = "Q3", "Model/prompt changes versioned and evaluated"
    G1 = "G1", "One named net-value owner"
    G2 = "G2", "Regular review cadence, weekly and monthly"
    G3 = "G3", "Explicit stage-gate decision"


CHECKLIST_SECTIONS = {
    "translation": ("Translation", ("T1", "T2", "T3")),
    "adoption": ("Adoption", ("A1", "A2", "A3")),
    "execution": ("Execution", ("E1", "E2", "E3")),
    "quality": ("Quality and risk", ("Q1", "Q2", "Q3")),
    "governance": ("Value governance", ("G1", "G2", "G3")),
}
#: Sections whose "no" blocks a scale decision.
SCALE_BLOCKING_SECTIONS = ("translation", "adoption", "execution", "quality")


class Answer(models.TextChoices):
    YES = "yes", "Yes"
    PARTIAL = "partial", "Partial"
    NO = "no", "No"


class ChecklistAnswer(models.Model):
    use_case = models.ForeignKey(UseCase, on_delete=models.CASCADE, related_name="checklist")
    item = models.CharField(max_length=2, choices=ChecklistItem.choices)
    answer = models.CharField(max_length=8, choices=Answer.choices)
    evidence = free_text(blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["use_case", "item"]
        constraints = [
            models.UniqueConstraint(fields=["use_case", "item"], name="unique_checklist_item")
        ]

    def __str__(self):
        return f"{self.item}: {self.answer}"


class Notification(models.Model):
    """A message to one user, in the in-app inbox and (once) by e-mail.

    (recipient, kind, subject object, period) is unique, so a reminder is never sent twice: callers
    create the row with ``get_or_create`` semantics and send the e-mail only for a new row.
    Lives in ``usecases`` (the lowest layer) so reviews, stage gates and the portfolio all notify.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=40)
    subject_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.CASCADE)
    subject_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("subject_type", "subject_id")
    period = models.CharField(max_length=16, blank=True)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True, help_text="Where to act on it.")
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    #: E-mail delivery lease (see ``usecases.notify``): set by the sender that claimed the row.
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "subject_type", "subject_id", "period"],
                name="unique_notification",
            )
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox"),
            # The retry sweep's scan: only rows whose e-mail has not gone out.
            models.Index(
                fields=["created_at"],
                condition=models.Q(emailed_at__isnull=True),
                name="notification_email_pending",
            ),
            # A submission settles the unread reminders of its use case and period
            # (``reviews.reminders.settle_statement``): without it that UPDATE reads every
            # notice of the subject type (the reminders of every week) or, planned generically,
            # the whole unique index, and PostgreSQL re-plans it on every submission.
            models.Index(
                fields=["subject_type", "subject_id", "period"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread_subject",
            ),
        ]

    def __str__(self):
        return f"{self.kind} → {self.recipient}: {self.title}"


class TransitionCause(models.TextChoices):
    """What moved a use case's stage or funding (``usecases.transitions``)."""

    STOP_LOSS = "stop_loss", "Stop-loss flag"
    GATE_DECISION = "gate_decision", "Gate decision"
    PMO_EDIT = "pmo_edit", "PMO edit"
    WITHDRAWAL = "withdrawal", "Stop-loss flag withdrawn by a correction"


class StageTransition(models.Model):
    """The audit record of one stage/funding change: before → after, who, why, and what caused
    it (a flag, a gate decision, a PMO edit: by kind, id and a label, no foreign key, so the
    record outlives its cause). Written by ``usecases.transitions`` only."""

    use_case = models.ForeignKey(UseCase, on_delete=models.CASCADE, related_name="transitions")
    stage_before = models.CharField(max_length=12, choices=Stage.choices)
    stage_after = models.CharField(max_length=12, choices=Stage.choices)
    funding_before = models.CharField(max_length=12, choices=Funding.choices)
    funding_after = models.CharField(max_length=12, choices=Funding.choices)
    reason = models.TextField()
    cause_kind = models.CharField(max_length=16, choices=TransitionCause.choices)
    cause_id = models.PositiveBigIntegerField(null=True, blank=True)
    cause_label = models.CharField(max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who made the change (empty: a rule, e.g. the stop-loss policy).",
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["use_case", "at"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(reason=""), name="stage_transition_has_reason"
            )
        ]

    def __str__(self):
        return (
            f"{self.use_case_id}: {self.stage_before}/{self.funding_before} → "
            f"{self.stage_after}/{self.funding_after} ({self.cause_kind})"
        )


class AlertEvent(models.TextChoices):
    """What a chat channel may subscribe to (``usecases.alerts``)."""

    FLAG_RAISED = "flag_raised", "Stop-loss flag raised"
    FLAG_WITHDRAWN = "flag_withdrawn", "Stop-loss flag withdrawn"
    EARLY_WARNING = "early_warning", "Early-warning signal"
    OVERDUE = "overdue_escalation", "Overdue review escalated to the PMO"
    GATE_VOTING_OPENED = "gate_voting_opened", "Gate voting opened"
    GATE_CLOSED = "gate_closed", "Gate closed"
    DECISION_RECORDED = "decision_recorded", "Gate decision recorded"


class ChannelKind(models.TextChoices):
    SLACK = "slack", "Slack incoming webhook"
    TEAMS = "teams", "Microsoft Teams Workflows webhook"
    JSON = "json", "Generic JSON webhook (signed)"


class NotificationChannel(models.Model):
    """A chat channel or webhook that alerts go to (``usecases.alerts``): PMO-wide (no owner,
    every subscribed event) or a value owner's personal channel (events about their own use
    cases). The URL and the signing secret are stored encrypted (``usecases.sealed``) and shown
    back only masked (``url_hint``)."""

    kind = models.CharField(max_length=8, choices=ChannelKind.choices)
    name = models.CharField(max_length=80)
    url_sealed = models.TextField(help_text="The webhook URL, encrypted.")
    url_hint = models.CharField(max_length=120, help_text="The URL masked, to show back.")
    secret_sealed = models.TextField(blank=True, help_text="The HMAC signing secret, encrypted.")
    events = models.JSONField(default=list, help_text="The AlertEvent values subscribed.")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notification_channels",
        help_text="Empty: a PMO-wide channel; else the value owner's personal channel.",
    )
    enabled = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    #: The last "send test message": when, and its error ("" when it went through).
    tested_at = models.DateTimeField(null=True, blank=True)
    test_error = models.TextField(blank=True)

    class Meta:
        ordering = ["owner_id", "name", "pk"]

    def __str__(self):
        return self.name


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class ChannelDelivery(models.Model):
    """One alert to one channel: the event (the notification kind, subject and period, as the
    in-app notification's key without its recipient) is unique per channel, so a channel gets
    each event once however many people the inbox told. Sent by the worker (``usecases.alerts``,
    at least once: a lease, retries with back-off, then failed with the error)."""

    channel = models.ForeignKey(
        NotificationChannel, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=24, choices=AlertEvent.choices)
    kind = models.CharField(max_length=40, help_text="The notification kind it mirrors.")
    subject_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.CASCADE)
    subject_id = models.PositiveBigIntegerField()
    period = models.CharField(max_length=16, blank=True)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    use_case_ids = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(
        max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "kind", "subject_type", "subject_id", "period"],
                name="unique_channel_delivery",
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="channel_delivery_pending",
            ),
        ]

    def __str__(self):
        return f"{self.kind} → {self.channel}: {self.status}"


class RoleSource(models.TextChoices):
    """What changed a user's role group (``usecases.role_changes``)."""

    SSO = "sso", "Single sign-on (the identity provider's groups)"
    ADMIN = "admin", "Django admin"
    COMMAND = "command", "Management command"
    OTHER = "other", "Other (code or shell; no actor recorded)"


class RoleChange(models.Model):
    """The audit record of one role group (PMO, Leadership) given to or taken from a user: who,
    which role, added or removed, why, by what and by whom. Written by ``usecases.role_changes``
    only (one receiver sees every change of the PMO and Leadership groups, whatever the path)."""

    # An audit record outlives the accounts it names: a deleted user leaves the row with the
    # username copied when it was written (``username``, ``changed_by_username``).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="role_changes",
    )
    username = models.CharField(
        max_length=150, help_text="The user's username when the change was recorded."
    )
    role = models.CharField(max_length=150)
    added = models.BooleanField(
        null=True,
        help_text="True: the role was given; False: it was taken away; empty: kept as it was "
        "because the source could not say (an identity provider's groups overage).",
    )
    source = models.CharField(max_length=16, choices=RoleSource.choices)
    reason = models.CharField(max_length=300)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The administrator who made the change (empty: single sign-on, a command).",
    )
    changed_by_username = models.CharField(
        max_length=150,
        blank=True,
        help_text="The administrator's username when the change was recorded (empty: none).",
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["user", "at"])]

    def __str__(self):
        return f"{self.username}: {self.change} {self.role} ({self.source})"

    @property
    def change(self) -> str:
        return {True: "given", False: "taken away", None: "kept"}[self.added]
