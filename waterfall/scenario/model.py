"""What we assume: prepayment, default, severity, lag, advancing, LIBOR (STYLE C1)."""

from __future__ import annotations

from dataclasses import dataclass, field

PREPAYMENT_MEASURES = ("cpr", "smm", "psa")
DEFAULT_MEASURES = ("cdr", "mdr", "sda")
TRIGGER_MODES = ("tested", "failing", "passing")


@dataclass(frozen=True, slots=True)
class Curve:
    """One assumption as written: a measure and a constant or a vector string, in percent.

    ``spec`` is a number (``30`` = 30% CPR, or 150 = 150% PSA) or a vector in the grammar
    of ``waterfall.scenario.vectors`` (``"4 11R 27"``), for every loan group. ``by_group``,
    when given, is one such spec per loan group by name (``cpr: {group_1: 62.5, group_2:
    12.1}``) and replaces ``spec``; every group of the deal must be named (checked against
    the deal by ``check_groups``). ``marks`` locates each group's value in its file.
    """

    measure: str
    spec: float | str
    by_group: tuple[tuple[str, float | str], ...] = ()
    marks: tuple[tuple[int, int], ...] = field(default=(), compare=False)  # (line, column)
    scale: float = 1.0  # every group's values times this (a grid's multiplier), capped at 100%

    def for_group(self, name: str) -> float | str:
        """The spec of loan group ``name``: its own when ``by_group`` names it, else ``spec``."""
        return dict(self.by_group).get(name, self.spec)

    def __str__(self) -> str:
        times = "" if self.scale == 1.0 else f" x {self.scale:g}"
        if self.by_group:
            specs = ", ".join(f"{name} {_spec(spec)}" for name, spec in self.by_group)
            return f"{self.measure} {{{specs}}}{times}"
        return f"{self.measure} {_spec(self.spec)}{times}"


def _spec(spec: float | str) -> str:
    return f"{spec:g}" if isinstance(spec, float) else f'"{spec}"'


@dataclass(frozen=True, slots=True)
class Scenario:
    """A full set of projection assumptions."""

    name: str
    prepayment: Curve  # measure in PREPAYMENT_MEASURES
    default: Curve  # measure in DEFAULT_MEASURES
    severity: Curve  # measure "severity", percent of the balance at default
    recovery_lag_months: int
    is_advancing: bool
    libor: Curve | None  # measure "libor", percent; None = the deal's index rate
    months: int | None  # projection length; None = to the pool's last scheduled payment
    trigger: str  # tested | failing | passing
    is_call_exercised: bool | None  # None = as the deal file says
    penalty_share: float | None = None  # None = as the deal file says; decimal
    prepayment_interest_shortfall_days: float = 0.0  # of 30 lost on each prepayment; 0 = off
    relief_act_percent: float = 0.0  # percent of the loans whose rate the Relief Act caps
    source: str = ""  # file it came from, or "command line"


BASE = Scenario(
    name="base",
    prepayment=Curve("cpr", 0.0),
    default=Curve("cdr", 0.0),
    severity=Curve("severity", 0.0),
    recovery_lag_months=0,
    is_advancing=True,
    libor=None,
    months=None,
    trigger="tested",
    is_call_exercised=None,
)
"""No prepayments, no defaults: the scheduled amortization of the pool."""
