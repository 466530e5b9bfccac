"""What we assume: prepayment, default, severity, lag, advancing, LIBOR (STYLE C1)."""

from __future__ import annotations

from dataclasses import dataclass

PREPAYMENT_MEASURES = ("cpr", "smm", "psa")
DEFAULT_MEASURES = ("cdr", "mdr", "sda")
TRIGGER_MODES = ("tested", "failing", "passing")


@dataclass(frozen=True, slots=True)
class Curve:
    """One assumption as written: a measure and a constant or a vector string, in percent.

    ``spec`` is a number (``30`` = 30% CPR, or 150 = 150% PSA) or a vector in the grammar
    of ``waterfall.scenario.vectors`` (``"4 11R 27"``).
    """

    measure: str
    spec: float | str

    def __str__(self) -> str:
        spec = f"{self.spec:g}" if isinstance(self.spec, float) else f'"{self.spec}"'
        return f"{self.measure} {spec}"


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
