"""Who takes part in a gate: the Leadership members (who vote, one of them chairs) and the PMO
(who runs the gate and is told what it decided). Active accounts only."""

from django.contrib.auth import get_user_model

from usecases.roles import LEADERSHIP, PMO


def leadership_members():
    """Active Leadership members, oldest account first."""
    return (
        get_user_model()
        .objects.filter(groups__name=LEADERSHIP, is_active=True)
        .order_by("pk")
        .distinct()
    )


def pmo_members():
    """Active PMO members, oldest account first."""
    return (
        get_user_model().objects.filter(groups__name=PMO, is_active=True).order_by("pk").distinct()
    )
