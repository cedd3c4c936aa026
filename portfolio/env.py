"""Settings read from the environment (``portfolio.settings``, ``settings_production``).

One reader per kind of value. A value it cannot read stops start-up with ``ImproperlyConfigured``
naming the variable, the value and what it may be, instead of a traceback from ``int()`` or a
silent fallback:

- a switch (``env_bool``): ``1``/``0``, ``true``/``false``, ``yes``/``no``, ``on``/``off``, in
  any case. ``SECURE_SSL_REDIRECT=flase`` or ``MFA_REQUIRED=ture`` used to read as false, which
  silently turned the protection off.
- a whole number (``env_int``): ASCII digits only, from ``low`` to ``high``. Python's ``int()``
  also reads ``"１２"`` (full-width digits), ``"1_000"`` and ``"-3"``.
- a number (``env_number``): ASCII digits with an optional decimal point, from ``low`` to
  ``high``. Python's ``float()`` also reads ``"nan"``, ``"inf"`` and ``"1e400"`` (infinity): a
  rework threshold of nan counts no trace as rework, an alert timeout of inf waits forever.
- one of a few words (``env_choice``), in any case: ``LOG_LEVEL=verbose`` used to stop start-up
  with a traceback from the logging configuration.
- a list (``env_list``): comma-separated, blanks dropped.
- a list of IP networks (``env_networks``): addresses or CIDR networks, each written as
  ``ipaddress`` reads it (host bits allowed: ``10.0.0.5/8`` is ``10.0.0.0/8``). A bad entry in
  ``ALERT_ALLOWED_NETWORKS`` used to surface as a 500 when a chat channel was saved.

Unset, empty or blank: the default. ``NUMBER_BOUNDS`` records each number read with its bounds
(``tests/portfolio/test_env.py`` refuses a value just past each one); docs/deploy.md lists them.
"""

from __future__ import annotations

import ipaddress
import os
import re
from decimal import Decimal

from django.core.exceptions import ImproperlyConfigured

TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off"})
_WHOLE = re.compile(r"[0-9]+")
_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")

#: Every number read so far: name → (low, high). Filled as the settings module runs.
NUMBER_BOUNDS: dict[str, tuple[int | float, int | float]] = {}


def _raw(name: str) -> str | None:
    """The variable's value without surrounding blanks; None when unset or blank."""
    value = os.environ.get(name, "").strip()
    return value or None


def env_bool(name: str, default: bool = False) -> bool:
    value = _raw(name)
    if value is None:
        return default
    if value.lower() in TRUE:
        return True
    if value.lower() in FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be true or false (1/0, yes/no, on/off), not {value!r}."
    )


def env_int(name: str, default: int, *, low: int = 0, high: int) -> int:
    """A whole number from ``low`` to ``high`` (both allowed)."""
    NUMBER_BOUNDS[name] = (low, high)
    value = _raw(name)
    if value is None:
        return default
    if not (_WHOLE.fullmatch(value) and len(value) <= 20 and low <= int(value) <= high):
        raise ImproperlyConfigured(
            f"{name} must be a whole number from {low:,} to {high:,}, not {value!r}."
        )
    return int(value)


def env_number(name: str, default: float, *, low: float, high: float) -> float:
    """A number from ``low`` to ``high`` (both allowed), written with digits and at most one
    decimal point: no sign, exponent, nan or infinity."""
    NUMBER_BOUNDS[name] = (float(low), float(high))
    value = _raw(name)
    if value is None:
        return default
    # The pattern admits only plain decimals, which Decimal always reads.
    number = Decimal(value) if _DECIMAL.fullmatch(value) and len(value) <= 30 else None
    if number is None or not (Decimal(str(low)) <= number <= Decimal(str(high))):
        raise ImproperlyConfigured(
            f"{name} must be a number from {low:,g} to {high:,g}, not {value!r}."
        )
    return float(number)


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    """One of ``choices`` (upper case), read in any case."""
    value = _raw(name)
    if value is None:
        return default
    if value.upper() not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {value!r}.")
    return value.upper()


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_networks(name: str) -> list[str]:
    """``env_list`` of IP networks, each as ``ipaddress.ip_network(..., strict=False)`` writes
    it."""
    networks = []
    for item in env_list(name):
        try:
            networks.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} must list IP addresses or networks such as 10.20.0.0/16, "
                f"separated by commas; {item!r} is neither."
            ) from None
    return networks
