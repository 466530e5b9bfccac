"""Collateral cash flows by the SIFMA standard default methodology (SF-16 … SF-22, C.3).

Column names follow the standard's published tables. Month ``i`` of the standard is row
``i - 1`` here; ``schedule[k]`` is the standard's SCH at ``k`` months after the start.
"""

from __future__ import annotations

from typing import NamedTuple

from waterfall._jit import inline_kernel, kernel
from waterfall._types import F64Array


class CollateralArrays(NamedTuple):
    """Starting state of each loan group; index = group number."""

    performing_balance: F64Array  # (n_groups,) dollars, loans paying at the start
    monthly_rate: F64Array  # (n_groups,) interest per month on the balance, decimal
    schedule: F64Array  # (n_months + 1, n_groups) 0%-prepay balance factor, 1.0 at row 0
    pipeline_balance: F64Array  # (n_groups,) dollars already defaulted, liquidating (seeded)


class CollateralRates(NamedTuple):
    """One scenario's assumptions, already per month and per group."""

    smm: F64Array  # (n_months, n_groups) voluntary prepayment rate, monthly decimal
    mdr: F64Array  # (n_months, n_groups) default rate, monthly decimal (0 in the last L months)
    severity: (
        F64Array  # (n_months, n_groups) loss share of the balance at default, by default month
    )
    seed_liquidation: (
        F64Array  # (n_months, n_groups) already-defaulted balance liquidating that month
    )
    recovery_lag_months: int  # L: months from default to liquidation
    is_advancing: bool  # P&I advanced on defaulted loans until liquidation


class CollateralOut(NamedTuple):
    """Monthly collateral columns, each (n_months, n_groups), written in place."""

    performing_balance: F64Array
    new_defaults: F64Array
    foreclosure_balance: F64Array
    expected_amortization: F64Array
    voluntary_prepayments: F64Array
    amortization_from_defaults: F64Array
    actual_amortization: F64Array
    expected_interest: F64Array
    interest_lost: F64Array
    actual_interest: F64Array
    principal_recovery: F64Array
    principal_loss: F64Array
    amortized_default_balance: F64Array


@kernel
def project_collateral(
    collateral: CollateralArrays,
    rates: CollateralRates,
    out: CollateralOut,
    with_balances: bool,
) -> None:
    """Project every loan group month by month into ``out`` (written in place).

    Parameters
    ----------
    collateral : CollateralArrays
        Starting performing balances, monthly rates and scheduled balance factors.
    rates : CollateralRates
        SMM, MDR and severity per month and group, the recovery lag and advancing.
    out : CollateralOut
        Preallocated, shape (n_months, n_groups) each; every element is written (with
        ``with_balances`` False, the losses' only).
    with_balances : bool
        False: write the losses alone (``principal_loss``, ``principal_recovery``), over
        the rest of ``out`` as already projected with these rates but the severity (no
        balance depends on the severity, so a grid whose scenarios differ only by severity
        projects their balances once).

    Notes
    -----
    The order of operations is the standard's: defaults on PERF(i-1); liquidations of the
    defaults of month i-L; scheduled amortization; voluntary prepayments on the whole
    PERF(i-1)·af(i), capped so that PERF(i) >= 0; interest. Compiled with numba; runs as plain
    Python under ``NUMBA_DISABLE_JIT=1``. The two passes are inlined into one function: as
    two compiled functions they added 0.5 s to a first run's compile.
    """
    if with_balances:
        _project_balances(collateral, rates, out)
    _project_losses(collateral, rates, out)


@inline_kernel
def _project_balances(
    collateral: CollateralArrays, rates: CollateralRates, out: CollateralOut
) -> None:
    """Every column of ``out`` but ``principal_loss`` and ``principal_recovery``, which
    ``_project_losses`` then writes; nothing here reads ``rates.severity``."""
    n_months, n_groups = out.performing_balance.shape
    # The month body is written out here rather than called: a compiled call that takes
    # NamedTuples of arrays pays two atomic reference counts per array, which were most of
    # this kernel's time. Months are the outer loop so that the groups' months, which do
    # not depend on each other, overlap in the processor: one group's month is a chain of
    # dependent operations, each waiting for the one before.
    schedule = collateral.schedule
    new_defaults = out.new_defaults
    for month in range(n_months):
        for group in range(n_groups):
            if month == 0:
                performing = collateral.performing_balance[group]
                # the whole pipeline, even the part a short projection does not reach
                foreclosure = collateral.pipeline_balance[group]
            else:
                performing = out.performing_balance[month - 1, group]
                foreclosure = out.foreclosure_balance[month - 1, group]
            rate = collateral.monthly_rate[group]
            amortization_factor = 0.0  # a group past its last scheduled payment keeps nothing
            if schedule[month, group] > 0.0:
                amortization_factor = schedule[month + 1, group] / schedule[month, group]
            defaults = performing * rates.mdr[month, group]
            new_defaults[month, group] = defaults  # read back at once when the lag is 0
            seeded, lagged = _liquidated(month, group, rates, schedule, new_defaults)
            liquidated = seeded + lagged
            kept = 1.0 - amortization_factor
            expected_amortization = (performing + foreclosure - liquidated) * kept
            actual_amortization = (performing - defaults) * kept
            advanced_amortization = 0.0
            if rates.is_advancing:
                advanced_amortization = (defaults + foreclosure - liquidated) * kept
            prepayments = performing * amortization_factor * rates.smm[month, group]
            room = performing - defaults - actual_amortization
            prepayments = min(prepayments, max(room, 0.0))
            out.amortized_default_balance[month, group] = liquidated
            out.expected_amortization[month, group] = expected_amortization
            out.amortization_from_defaults[month, group] = advanced_amortization
            out.actual_amortization[month, group] = actual_amortization
            out.voluntary_prepayments[month, group] = prepayments
            out.expected_interest[month, group] = (performing + foreclosure) * rate
            out.interest_lost[month, group] = (defaults + foreclosure) * rate
            out.actual_interest[month, group] = (performing - defaults) * rate
            foreclosure = defaults + foreclosure - liquidated - advanced_amortization
            performing = performing - defaults - prepayments - actual_amortization
            out.foreclosure_balance[month, group] = foreclosure
            out.performing_balance[month, group] = performing


@inline_kernel
def _project_losses(
    collateral: CollateralArrays, rates: CollateralRates, out: CollateralOut
) -> None:
    """``principal_loss`` and ``principal_recovery`` of each month, from the liquidations
    ``_project_balances`` wrote into ``out`` for these same rates but the severity."""
    n_months, n_groups = out.performing_balance.shape
    schedule = collateral.schedule
    for month in range(n_months):
        for group in range(n_groups):
            seeded, lagged = _liquidated(month, group, rates, schedule, out.new_defaults)
            loss = 0.0
            seed = rates.seed_liquidation[month, group]
            if seed > 0.0:
                loss += min(seed * rates.severity[month, group], seeded)
            default_month = month - rates.recovery_lag_months
            if default_month >= 0:
                defaulted = out.new_defaults[default_month, group]
                loss += min(defaulted * rates.severity[default_month, group], lagged)
            out.principal_loss[month, group] = loss
            liquidated = out.amortized_default_balance[month, group]
            out.principal_recovery[month, group] = max(liquidated - loss, 0.0)


@inline_kernel
def _liquidated(
    month: int,
    group: int,
    rates: CollateralRates,
    schedule: F64Array,
    new_defaults: F64Array,
) -> tuple[float, float]:
    """The balances liquidated in ``month`` (the ADB): (seeded, defaulted in month - L)."""
    is_advancing = rates.is_advancing
    seeded = 0.0
    seed = rates.seed_liquidation[month, group]
    if seed > 0.0:
        seeded = seed * schedule[month, group] if is_advancing else seed
    lagged = 0.0
    default_month = month - rates.recovery_lag_months
    if default_month >= 0:
        defaulted = new_defaults[default_month, group]
        lagged = defaulted
        if is_advancing and schedule[default_month, group] > 0.0:
            lagged = defaulted * schedule[month, group] / schedule[default_month, group]
    return seeded, lagged
