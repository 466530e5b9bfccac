"""Re-running the engine on shifted scenarios: breakeven default rates and price tables."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from waterfall._types import F64Array
from waterfall.analytics.batch import (
    discount_margins,
    modified_durations,
    principal_windows,
    wals,
    yields,
)
from waterfall.analytics.roots import last_within
from waterfall.compile import compile_deal
from waterfall.deal.model import Deal
from waterfall.engine import Result, run
from waterfall.measures import (
    flow_times,
    measured_classes,
    result_metrics,
    result_principal_losses,
    total_loss,
)
from waterfall.scenario.model import Curve, Scenario

BREAKEVEN_TOLERANCE = 0.01
"""Breakeven CDRs are found to 0.01 CDR (percent a year), and reported on that grid."""

MAX_CDR = 100.0
"""The search runs from 0 to this CDR; a class whole even at 100 CDR shows 100 and a note."""

WRITEDOWN_ALLOWANCE = 0.005
"""A write-down under half a cent is no write-down (the trustee pays in cents)."""


@dataclass(frozen=True, slots=True)
class Breakeven:
    """The highest constant CDR at which a class takes no principal write-down."""

    class_name: str
    breakeven_cdr: float | None  # percent; None when written down even at 0 CDR
    is_above_search: bool  # no write-down even at MAX_CDR (breakeven_cdr = MAX_CDR)
    wal_years: float | None  # the class's WAL at the breakeven CDR
    cumulative_loss_pct: float  # pool losses at the breakeven CDR, % of the start
    cumulative_defaults_pct: float  # defaults (seeded pipeline included), % of the start
    writedown: float  # principal loss at the breakeven CDR, dollars (0 to the cent)
    note: str = ""


def principal_loss_of(deal: Deal, scenario: Scenario, class_name: str) -> float:
    """Principal ``class_name`` loses over the projection (``measures.principal_losses``)."""
    result = run(deal, scenario)
    return float(result_principal_losses(result)[result.index(class_name)])


def breakeven(deal: Deal, base: Scenario, class_name: str) -> Breakeven:
    """Search constant CDRs 0..MAX_CDR for the last one leaving ``class_name`` whole.

    Whole means no principal loss: nothing written down, and nothing still owed when the
    pool is gone (how a senior class that is never written down loses). Everything but
    the default rate comes from ``base``; the search is ``analytics.roots.last_within`` on
    the class's loss, to BREAKEVEN_TOLERANCE.
    """

    def at(cdr: float) -> Scenario:
        return dataclasses.replace(base, default=Curve("cdr", cdr))

    cdr = last_within(
        lambda c: principal_loss_of(deal, at(c), class_name),
        0.0,
        MAX_CDR,
        BREAKEVEN_TOLERANCE,
        WRITEDOWN_ALLOWANCE,
    )
    scenario = at(cdr if cdr is not None else 0.0)
    result = run(deal, scenario)
    column = [deal.tranches[i].name for i in measured_classes(deal)].index(class_name)
    wal = float(result_metrics(deal, scenario, result)["wal_years"][column])
    note = ""
    if cdr is None:
        note = "loses principal even with no new defaults"
    elif cdr == MAX_CDR:
        note = f"no principal loss even at {MAX_CDR:g} CDR"
    return Breakeven(
        class_name=class_name,
        breakeven_cdr=cdr,
        is_above_search=cdr == MAX_CDR,
        wal_years=None if math.isnan(wal) else wal,
        cumulative_loss_pct=_pct(total_loss(result), result),
        cumulative_defaults_pct=_pct(_defaults(deal, result), result),
        writedown=round(float(result_principal_losses(result)[result.index(class_name)]), 2),
        note=note,
    )


def _pct(amount: float, result: Result) -> float:
    return amount / float(result.pool_balance[0]) * 100.0


def _defaults(deal: Deal, result: Result) -> float:
    """New defaults plus the pipeline seeded as already defaulted."""
    seeded = sum(group.delinquent_balance for group in deal.groups)
    return float(result.collateral["new_defaults"].sum()) + seeded


def loss_classes(deal: Deal) -> tuple[str, ...]:
    """Classes that can lose principal: bonds with a balance, in deal order."""
    return tuple(deal.tranches[i].name for i in measured_classes(deal))


@dataclass(frozen=True)
class PriceTable:
    """Yields (or margins) of one class at several prices under several scenarios."""

    class_name: str
    prices: tuple[float, ...]
    scenarios: tuple[Scenario, ...]
    yield_pct: F64Array  # (n_prices, n_scenarios) bond-equivalent, percent; NaN none
    discount_margin_bp: F64Array  # (n_prices, n_scenarios); NaN for a fixed-rate class
    modified_duration: F64Array  # (n_prices, n_scenarios) years at each cell's yield
    wal_years: F64Array  # (n_scenarios,)
    first_principal_month: F64Array  # (n_scenarios,)
    last_principal_month: F64Array  # (n_scenarios,)
    is_floater: bool
    writedown: F64Array  # (n_scenarios,) dollars: written down plus owed when the pool is gone
    cumulative_loss_pct: F64Array  # (n_scenarios,) the pool's losses, % of its start
    other_horizon: str = ""  # "to_call" or "to_maturity": the call the other way; "" no call
    other_yield_pct: F64Array | None = None  # (n_prices, n_scenarios) at the other horizon
    other_discount_margin_bp: F64Array | None = None  # (n_prices, n_scenarios)


def price_table(
    deal: Deal, class_name: str, prices: Sequence[float], scenarios: Sequence[Scenario]
) -> PriceTable:
    """Run each scenario once and price the class's cash flows at every price.

    Prices are per 100 of the class's current balance, or of its notional for an
    interest-only class (A-IO, BIO).
    """
    index = deal.tranche_names.index(class_name)
    tranche = deal.tranches[index]
    n_prices, n_scenarios = len(prices), len(scenarios)
    has_call = deal.clean_up_call.share_of_cutoff > 0.0
    table = {
        name: np.full((n_prices, n_scenarios), np.nan) for name in ("y", "dm", "md", "y2", "dm2")
    }
    wal, first, last, lost, pool_loss = (np.zeros(n_scenarios) for _ in range(5))
    other_horizon = ""
    for column, scenario in enumerate(scenarios):
        result = run(deal, scenario)
        bey, dm = _price_cells(deal, result, index, prices)
        table["y"][:, column], table["dm"][:, column] = bey * 100.0, dm
        times = flow_times(deal, result.compiled or compile_deal(deal, scenario))
        flows = result.principal[:, index] + result.interest[:, index]
        rows = np.repeat(flows[np.newaxis, :], n_prices, axis=0)
        table["md"][:, column] = modified_durations(rows, times[: result.n_months], bey)
        # the measures every command uses (measures.class_metrics), for this one class
        paid = np.ascontiguousarray(result.principal[np.newaxis, :, index])
        wal[column] = wals(paid)[0]
        window = principal_windows(paid)
        first[column], last[column] = window[0][0], window[1][0]
        lost[column] = result_principal_losses(result)[index]
        pool_loss[column] = total_loss(result) / float(result.pool_balance[0]) * 100.0
        if has_call:
            is_called = result.payments.call_proceeds.sum() > 0.0
            other = run(deal, dataclasses.replace(scenario, is_call_exercised=not is_called))
            other_horizon = "to_maturity" if is_called else "to_call"
            bey2, dm2 = _price_cells(deal, other, index, prices)
            table["y2"][:, column], table["dm2"][:, column] = bey2 * 100.0, dm2
    return PriceTable(
        class_name,
        tuple(prices),
        tuple(scenarios),
        table["y"],
        table["dm"],
        table["md"],
        wal,
        first,
        last,
        tranche.margin is not None,
        lost,
        pool_loss,
        other_horizon,
        table["y2"] if has_call else None,
        table["dm2"] if has_call else None,
    )


def _price_cells(
    deal: Deal, result: Result, index: int, prices: Sequence[float]
) -> tuple[F64Array, F64Array]:
    """Bond-equivalent yields (decimal) and DMs (bp; NaN for a fixed-rate class) of one
    class's cash flows in one run, at each price per 100 of its current balance."""
    tranche = deal.tranches[index]
    compiled = result.compiled or compile_deal(deal, result.scenario)
    times = flow_times(deal, compiled)[: result.n_months]
    flows = result.principal[:, index] + result.interest[:, index]
    rows = np.repeat(flows[np.newaxis, :], len(prices), axis=0)
    dirty = np.array(prices) / 100.0 * tranche.balance
    bey = yields(rows, times, dirty)
    dm = np.full(len(prices), np.nan)
    if tranche.margin is not None:
        path = np.repeat(compiled.index_rate[np.newaxis, : result.n_months], len(prices), axis=0)
        fractions = compiled.calendar.act_360_fraction[: result.n_months]
        dm = discount_margins(rows, fractions, path, dirty) * 10_000.0
    return bey, dm
