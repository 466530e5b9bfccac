"""What a deal's documents say, as frozen dataclasses (names and dates, no arrays)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a value or rule comes from: reported, derived or assumed (DEAL_NOTES.md)."""

    where: str  # dotted path in the deal file
    line: int
    source: str  # reported | derived | assumed | calibrated
    note: str


@dataclass(frozen=True, slots=True)
class CollateralGroup:
    """One loan group, described by its weighted averages."""

    name: str
    balance: float  # dollars at the start, delinquent loans included
    note_rate: float  # gross WAC, annual decimal
    remaining_term: int  # months (WAM)
    age: int  # months since origination (WALA); indexes PSA and SDA
    delinquent_balance: float = 0.0  # part of balance already defaulted, liquidating over the lag


@dataclass(frozen=True, slots=True)
class NotionalStep:
    """An IO notional that applies to distributions up to and including ``through``."""

    through: date
    amount: float


@dataclass(frozen=True, slots=True)
class Tranche:
    """One class of certificates (called a tranche in code, STYLE C4)."""

    name: str
    kind: str  # bond | notional | residual
    balance: float  # after the as-of distribution (notional for IO tranches)
    original_balance: float
    coupon: float | None  # fixed annual rate, decimal
    margin: float | None  # floating: annual spread over one-month LIBOR, decimal
    margin_after_call: float | None
    day_count: str  # act/360 | 30/360
    is_capped: bool  # available-funds (net WAC) cap
    group: str | None
    notional_schedule: tuple[NotionalStep, ...] = ()
    holds_overcollateralization: bool = False
    unpaid_interest: float = 0.0
    unreimbursed_writedown: float = 0.0
    basis_risk_carryforward: float = 0.0
    cusip: str = ""


@dataclass(frozen=True, slots=True)
class Fee:
    """A senior fee paid from interest before any tranche."""

    name: str
    annual_rate: float  # on the beginning pool balance, 30/360
    monthly_amount: float = 0.0


@dataclass(frozen=True, slots=True)
class WaterfallStep:
    """One line of the priority of payments."""

    action: str
    targets: tuple[str, ...]
    mode: str = "sequential"  # sequential | pro_rata | by_group
    when: str = "always"  # always | before_stepdown_or_trigger | after_stepdown_no_trigger
    part: str = "all"  # pay_interest: all | current | carried
    fee: str = ""
    credit_target: float | None = None  # pay_principal: cumulative share of the pool
    line: int = 0


@dataclass(frozen=True, slots=True)
class Overcollateralization:
    """The OC target and its stepdown form."""

    target: float  # dollars before the stepdown date
    target_share_after_stepdown: float  # of the current pool balance
    floor: float  # dollars


@dataclass(frozen=True, slots=True)
class Stepdown:
    """When subordinate principal may be paid."""

    earliest: date
    senior_enhancement_target: float
    senior_tranches: tuple[str, ...]
    has_occurred: bool = False


@dataclass(frozen=True, slots=True)
class LossStep:
    """Cumulative-loss trigger threshold from ``start`` on, as a share of the cut-off."""

    start: date
    share: float


@dataclass(frozen=True, slots=True)
class Trigger:
    """The trigger event: a delinquency test or a cumulative-loss test."""

    delinquency_share_of_enhancement: float
    cumulative_loss: tuple[LossStep, ...]
    cumulative_loss_to_date: float


@dataclass(frozen=True, slots=True)
class CleanUpCall:
    """Optional termination when the pool falls to a share of the cut-off balance."""

    share_of_cutoff: float
    is_exercised: bool


@dataclass(frozen=True, slots=True)
class PrepaymentPenalties:
    """Penalties collected as a share of voluntary prepayments until a date."""

    share_of_prepayments: float
    until: date


@dataclass(frozen=True, slots=True)
class YieldMaintenance:
    """A cap contract: pays notional x (LIBOR - strike), LIBOR taken up to the ceiling."""

    notional_schedule: tuple[NotionalStep, ...]  # no step: a notional of zero
    strike: float  # annual decimal
    ceiling: float | None  # annual decimal; None = no ceiling
    day_count: str  # act/360 | 30/360


@dataclass(frozen=True, slots=True)
class CompensatingInterest:
    """The servicer pays prepayment interest shortfalls up to a share of one fee."""

    fee: str
    share_of_fee: float


@dataclass(frozen=True, slots=True)
class Deal:
    """A whole deal as of one distribution date."""

    name: str
    file: str
    as_of: date  # the last distribution applied; balances are after it
    first_distribution: date
    distribution_day: int
    cutoff_balance: float
    index_rate: float  # one-month LIBOR for the projection unless a scenario says otherwise
    groups: tuple[CollateralGroup, ...]
    tranches: tuple[Tranche, ...]
    fees: tuple[Fee, ...]
    waterfall: tuple[WaterfallStep, ...]
    overcollateralization: Overcollateralization
    stepdown: Stepdown
    trigger: Trigger
    clean_up_call: CleanUpCall
    prepayment_penalties: PrepaymentPenalties
    default_scenario: str = ""  # path of the scenario used when none is given
    provenance: tuple[Provenance, ...] = field(default=())
    interest_cap: str = "available_funds"  # available_funds | net_wac
    yield_maintenance: YieldMaintenance | None = None
    compensating_interest: CompensatingInterest | None = None

    @property
    def tranche_names(self) -> tuple[str, ...]:
        """Tranche names in deal (seniority) order."""
        return tuple(tranche.name for tranche in self.tranches)

    @property
    def pool_balance(self) -> float:
        """Pool balance at the start, all groups."""
        return sum(group.balance for group in self.groups)
