"""Investor measures of each class from projected cash flows, for one path or many.

Single runs, price tables, breakevens and grids all measure through ``class_metrics``, so
a scenario gives the same bits whichever command ran it.

* ``wal_years``, ``first_principal_month``, ``last_principal_month`` (1-based months from
  the deal's as-of date; 0 when no principal is paid);
* ``yield``: bond-equivalent, percent, at a price per 100 of the class's current balance,
  settling on the as-of date (a distribution date, so no accrued interest); the cash flows
  are every payment to the class on its distribution dates, at 30/360 years from
  settlement (STANDARDS 1.11);
* ``discount_margin``: floaters only, basis points over the path's LIBOR, ACT/360
  money-market discounting over the accrual periods (STANDARDS 1.12);
* ``modified_duration``: years, at the yield;
* ``writedown``: the class's principal loss, dollars: what the waterfall wrote down, plus
  any balance still owed when the pool is gone (seniors are never written down in a deal
  like 2002-HE1, but run out of collateral); ``cumulative_loss_pct``: the pool's realized
  losses over the projection, percent of its starting balance.

A yield or margin that no rate in the search bracket produces (no cash flow, or a price the
flows cannot reach, like P's 100 dollars against its penalties) is NaN here and "not
defined" in every output.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import numpy as np

from waterfall._types import F64Array, I64Array
from waterfall.analytics.batch import (
    discount_margins,
    flow_days,
    modified_durations,
    principal_windows,
    wals,
    yields,
)
from waterfall.analytics.daycount import year_fraction_30_360
from waterfall.analytics.yield_ import price_from_discount_margin, price_from_yield
from waterfall.compile import CompiledDeal, compile_deal
from waterfall.deal.model import Deal
from waterfall.engine import Result, run, start_balance
from waterfall.kernels.grid import FLOW_MEASURES, POOL_GONE, MeasureInputs
from waterfall.scenario.model import Scenario

METRIC_COLUMNS = (
    "wal_years",
    "first_principal_month",
    "last_principal_month",
    "yield",
    "discount_margin",
    "modified_duration",
    "writedown",
    "cumulative_loss_pct",
)


MAX_PRICE = 1000.0
"""Prices are per 100 of face; above this a price says the class has no face worth pricing."""


def principal_losses(
    writedown: F64Array, ending_balance: F64Array, pool_end: F64Array
) -> F64Array:
    """Principal lost by each class of each path (n_paths, n_tranches), dollars.

    The write-downs, plus the balance still owed at the end when the pool is gone (a
    projection cut short, with collateral left, loses nothing more).
    """
    is_gone = (pool_end <= POOL_GONE)[:, np.newaxis]
    lost: F64Array = writedown + np.where(is_gone, ending_balance, 0.0)
    return lost


def measured_classes(deal: Deal, strips: Collection[str] = ()) -> tuple[int, ...]:
    """Tranche indices measured: bond classes with a balance, and the interest-only
    classes named in ``strips`` (priced per 100 of notional; never the residuals)."""
    return tuple(
        i
        for i, t in enumerate(deal.tranches)
        if (t.kind == "bond" or (t.kind == "notional" and t.name in strips)) and t.balance > 0.0
    )


def class_prices(
    deal: Deal, classes: Sequence[int], price: float, by_class: Mapping[str, float]
) -> tuple[float, ...]:
    """The price of each measured class: its own from ``by_class``, else ``price``."""
    return tuple(by_class.get(deal.tranches[i].name, price) for i in classes)


def flow_times(deal: Deal, compiled: CompiledDeal) -> F64Array:
    """Years (30/360) from settlement on the as-of date to each distribution date."""
    return np.array([year_fraction_30_360(deal.as_of, day) for day in compiled.calendar.dates])


def class_metrics(
    deal: Deal,
    compiled: CompiledDeal,
    classes: Sequence[int],
    principal: F64Array,
    cash: F64Array,
    principal_loss: F64Array,
    index_rate: F64Array,
    collateral_loss: F64Array,
    price: float | Sequence[float],
    horizon_balance: F64Array | None = None,
) -> dict[str, F64Array]:
    """The metric columns for a batch of paths (arrays (n_paths, n_months, n_tranches)).

    ``horizon_balance`` (n_paths, n_tranches) is what each bond still owes when a projection
    cut short by ``months`` stops with collateral left: yields, margins and durations take
    it as repaid at par on the last date (WAL and the window count principal paid only).
    Single runs and grids both call this, so they agree bit for bit.
    """
    n_paths = principal.shape[0]
    times = flow_times(deal, compiled)
    fractions = compiled.calendar.act_360_fraction
    pool = float(start_balance(compiled.collateral).sum())
    metrics = {name: np.full((n_paths, len(classes)), np.nan) for name in METRIC_COLUMNS}
    prices = [price] * len(classes) if isinstance(price, float | int) else list(price)
    for column, tranche in enumerate(classes):
        paid = np.ascontiguousarray(principal[:, :, tranche])
        flows = paid + cash[:, :, tranche]
        if horizon_balance is not None and deal.tranches[tranche].kind == "bond":
            flows[:, -1] += horizon_balance[:, tranche]
        dirty = np.full(n_paths, prices[column] / 100.0 * compiled.tranches.balance[tranche])
        metrics["wal_years"][:, column] = wals(paid)
        first, last = principal_windows(paid)
        metrics["first_principal_month"][:, column] = first
        metrics["last_principal_month"][:, column] = last
        bey = yields(flows, times, dirty)
        metrics["yield"][:, column] = bey * 100.0
        metrics["modified_duration"][:, column] = modified_durations(flows, times, bey)
        if deal.tranches[tranche].margin is not None:
            margin = discount_margins(flows, fractions, index_rate, dirty)
            metrics["discount_margin"][:, column] = margin * 10_000.0
        metrics["writedown"][:, column] = principal_loss[:, tranche]
        metrics["cumulative_loss_pct"][:, column] = collateral_loss / pool * 100.0
    return metrics


def measure_inputs(
    deal: Deal, compiled: CompiledDeal, classes: Sequence[int], prices: Sequence[float]
) -> MeasureInputs:
    """What the grid kernel measures each class with (``class_metrics``' inputs)."""
    return MeasureInputs(
        tranche=np.array(classes, dtype=np.int64),
        is_bond=np.array([deal.tranches[t].kind == "bond" for t in classes], dtype=np.int64),
        has_margin=np.array(
            [deal.tranches[t].margin is not None for t in classes], dtype=np.int64
        ),
        price=np.array(
            [
                price / 100.0 * compiled.tranches.balance[tranche]
                for tranche, price in zip(classes, prices, strict=True)
            ],
            dtype=np.float64,
        ),
        days=flow_days(flow_times(deal, compiled)),
        act_360_fraction=np.ascontiguousarray(compiled.calendar.act_360_fraction),
        watched=settling_watch(deal, compiled, classes),
        quiet_from=int(np.flatnonzero(compiled.penalty_share).max(initial=-1)) + 1,
    )


def settling_watch(deal: Deal, compiled: CompiledDeal, classes: Sequence[int]) -> I64Array:
    """The tranches whose settling may end a grid scenario's run early: the measured classes
    and every certificate (whose write-downs and balances the measures read). Empty, so every
    month runs, when a measured class is interest-only: its notional follows a schedule, not
    its payments."""
    if any(compiled.tranches.is_notional[t] == 1 for t in classes):
        return np.zeros(0, dtype=np.int64)
    certificates = np.flatnonzero(compiled.tranches.is_certificate == 1)
    return np.union1d(np.array(classes, dtype=np.int64), certificates).astype(np.int64)


def measured_metrics(
    compiled: CompiledDeal,
    classes: Sequence[int],
    measures: F64Array,
    principal_loss: F64Array,
    collateral_loss: F64Array,
) -> dict[str, F64Array]:
    """The metric columns from the grid kernel's ``measures`` (n_paths, n_classes,
    N_FLOW_MEASURES) and the paths' losses (as ``class_metrics``)."""
    n_paths = measures.shape[0]
    pool = float(start_balance(compiled.collateral).sum())
    metrics = {name: np.full((n_paths, len(classes)), np.nan) for name in METRIC_COLUMNS}
    for position, name in enumerate(FLOW_MEASURES):
        metrics[name][:, :] = measures[:, :, position]
    for column, tranche in enumerate(classes):
        metrics["writedown"][:, column] = principal_loss[:, tranche]
        metrics["cumulative_loss_pct"][:, column] = collateral_loss / pool * 100.0
    return metrics


def horizon_balances(
    ending_balance: F64Array,
    pool_end: F64Array,
    months_run: Sequence[int] | I64Array,
    n_months: int,
) -> F64Array:
    """What each path's classes still owe at a horizon that stops with collateral left
    (n_paths, n_tranches); zero where the pool ran off or was called."""
    is_cut = (pool_end > POOL_GONE) & (np.asarray(months_run) == n_months)
    owed: F64Array = np.where(is_cut[:, np.newaxis], ending_balance, 0.0)
    return owed


def result_principal_losses(result: Result, *, net: bool = False) -> F64Array:
    """``principal_losses`` of one run, (n_tranches,).

    ``net=True`` takes off the write-downs paid back later from excess cash: what the class
    has lost for good, rather than the standard's write-down (STANDARDS 2.4).
    """
    pool_end = 0.0 if result.payments.call_proceeds.sum() > 0.0 else result.pool_balance[-1]
    written = result.writedown.sum(axis=0)
    if net:
        written = written - result.payments.writedown_reimbursed.sum(axis=0)
    losses = principal_losses(
        written[np.newaxis, :],
        result.payments.balance[-1][np.newaxis, :],
        np.array([pool_end]),
    )
    one: F64Array = losses[0]
    return one


def total_loss(result: Result) -> float:
    """Realized collateral losses of a run, added month by month and group by group (the
    grid kernel's order, so both give the same bits)."""
    losses = result.collateral_by_group.principal_loss
    loss = 0.0
    for month in range(losses.shape[0]):
        for group in range(losses.shape[1]):
            loss += float(losses[month, group])
    return loss


def result_metrics(
    deal: Deal,
    scenario: Scenario,
    result: Result,
    price: float = 100.0,
    by_class: Mapping[str, float] | None = None,
) -> dict[str, F64Array]:
    """The metric columns (n_classes,) of one run, for ``measured_classes(deal, by_class)``;
    ``by_class`` prices single classes (an IO strip per 100 of its notional)."""
    by_class = by_class or {}
    classes = measured_classes(deal, by_class)
    compiled = result.compiled or compile_deal(deal, scenario)  # run compiled it already
    n_months, n_tranches = compiled.n_months, len(deal.tranches)
    principal = np.zeros((1, n_months, n_tranches))
    cash = np.zeros((1, n_months, n_tranches))
    principal[0, : result.n_months] = result.principal
    cash[0, : result.n_months] = result.interest
    metrics = class_metrics(
        deal,
        compiled,
        classes,
        principal,
        cash,
        result_principal_losses(result)[np.newaxis, :],
        compiled.index_rate[np.newaxis, :],
        np.array([total_loss(result)]),
        class_prices(deal, classes, price, by_class),
        horizon_balances(
            result.payments.balance[-1][np.newaxis, :],
            np.array(
                [0.0 if result.payments.call_proceeds.sum() > 0 else result.pool_balance[-1]]
            ),
            [result.n_months],
            n_months,
        ),
    )
    return {name: values[0] for name, values in metrics.items()}


def prices_at(
    deal: Deal,
    result: Result,
    *,
    yield_pct: float | None = None,
    discount_margin_bp: float | None = None,
) -> dict[str, float]:
    """Price per 100 of current face of each measured bond class at a yield or a margin.

    The cash flows are those the yield and margin columns use (``class_metrics``): every
    payment to the class, plus what a projection cut short still owes, repaid at par on its
    last date. A discount margin prices the floaters only; a class the measure does not apply
    to, or with no face, is left out.
    """
    compiled = result.compiled or compile_deal(deal, result.scenario)
    n = result.n_months
    times = flow_times(deal, compiled)[:n]
    fractions = compiled.calendar.act_360_fraction[:n]
    index_rate = compiled.index_rate[:n]
    pool_end = 0.0 if result.payments.call_proceeds.sum() > 0 else result.pool_balance[-1]
    is_cut = pool_end > POOL_GONE and n == compiled.n_months
    prices: dict[str, float] = {}
    for tranche in measured_classes(deal):
        spec = deal.tranches[tranche]
        flows = result.principal[:, tranche] + result.interest[:, tranche]
        if is_cut:
            flows = flows.copy()
            flows[-1] += result.payments.balance[-1, tranche]
        face = compiled.tranches.balance[tranche]
        if yield_pct is not None:
            value = price_from_yield(flows, times, yield_pct / 100.0)
        elif discount_margin_bp is not None and spec.margin is not None:
            value = price_from_discount_margin(
                flows, fractions, index_rate, discount_margin_bp / 10_000.0
            )
        else:
            continue
        per_100 = value / face * 100.0
        if 0.0 < per_100 <= MAX_PRICE:  # e.g. P's 100 dollars against its penalties: none
            prices[spec.name] = per_100
    return prices


def scenario_metrics(
    deal: Deal,
    scenario: Scenario,
    price: float = 100.0,
    by_class: Mapping[str, float] | None = None,
) -> tuple[tuple[str, ...], dict[str, F64Array], Result]:
    """Run one scenario alone; return class names, metrics (n_classes,) and the run."""
    result = run(deal, scenario)
    names = tuple(deal.tranches[i].name for i in measured_classes(deal, by_class or {}))
    return names, result_metrics(deal, scenario, result, price, by_class), result
