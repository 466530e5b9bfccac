"""Op-codes of the compiled priority of payments (the deal language's verbs)."""

from __future__ import annotations

from enum import IntEnum


class Step(IntEnum):
    """One action of the priority of payments; ``payments.apply_waterfall`` has a branch each."""

    PAY_FEE = 0
    PAY_INTEREST = 1
    OVERCOLLATERALIZATION = 2
    PAY_PRINCIPAL = 3
    WRITE_DOWN = 4
    REIMBURSE_WRITEDOWN = 5
    PAY_BASIS_RISK = 6
    PAY_PENALTIES = 7
    PAY_RESIDUAL = 8


class Mode(IntEnum):
    """How one step shares cash among its tranches."""

    SEQUENTIAL = 0
    PRO_RATA = 1
    BY_GROUP = 2


class When(IntEnum):
    """When a step runs."""

    ALWAYS = 0
    BEFORE_STEPDOWN_OR_TRIGGER = 1
    AFTER_STEPDOWN_NO_TRIGGER = 2


class InterestPart(IntEnum):
    """Which interest a PAY_INTEREST step pays.

    ALL: current interest, then earlier shortfalls. CURRENT: this month's accrual only.
    CARRIED: whatever is still owed (earlier shortfalls and this month's unpaid current
    interest), as the excess-cash-flow part of a waterfall pays "unpaid interest amounts".
    """

    ALL = 0
    CURRENT = 1
    CARRIED = 2


class Account(IntEnum):
    """The collection accounts cash moves through within a month."""

    INTEREST = 0
    PRINCIPAL = 1
    PENALTIES = 2
    CAP_CONTRACT = 3  # the yield maintenance agreement's payment, for basis risk first


class Coupon(IntEnum):
    """How a tranche's coupon is set each month."""

    FIXED = 0
    FLOATING = 1
    NONE = 2


class TriggerMode(IntEnum):
    """Whether the trigger event follows its tests or is forced (dealer 'TRIG FAIL')."""

    TESTED = 0
    ALWAYS_FAILING = 1
    NEVER_FAILING = 2


class CapForm(IntEnum):
    """How the floaters' interest cap is set each month."""

    AVAILABLE_FUNDS = 0  # interest collected less what ranks ahead, over the capped balance
    NET_WAC = 1  # each group's net mortgage rate (seniors), subordinate-weighted (the rest)


N_ACCOUNTS = 4
