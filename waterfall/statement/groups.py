"""Loan-group balances from the deal's history, and one period's principal by group.

Group balances are not reported. They follow from the deal's history (DEAL_NOTES; issue 9):

* at cut-off the senior classes were the same share of every group, so a group's cut-off
  balance is its seniors' original face over the seniors' share of the cut-off balance
  (assumed: the usual structure; 2002-HE1's A-1 + A-2 = 779,000,000 = 82% of 950,000,000);
* since then each group's collections went to its own senior classes (before the stepdown),
  together with a share of the extra principal paid from excess interest (the OC build and
  the replacement of realized losses). The extra principal to date is what the seniors were
  paid beyond the pool's collections: senior paydown - (cut-off - pool - cumulative losses).
  It is shared in proportion to the seniors' paydown (assumed: the Principal Distribution
  Amount is allocated by each group's share of the principal remittance);
* realized losses are shared in proportion to the groups' cut-off balances (assumed).

So ``group = cut-off share - (its seniors' paydown - their share of extra principal) - its
share of losses``, and the groups add up to the pool exactly.

The period's principal by group (``period_principal``) is one model used both by calibrate,
which solves it for each group's prepayment speed from the reported senior split, and by
reconcile, which runs it forward from the deal's calibrated speeds: scheduled principal and
liquidation proceeds in proportion to the groups' beginning balances (assumed: one WAC and
WAM for the pool), prepayments at each group's SMM on its balance after scheduled principal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from waterfall.deal.model import Deal


@dataclass(frozen=True, slots=True)
class GroupBalances:
    """Each group's balance at one date, with the arithmetic that gives it."""

    balance: dict[str, float]  # group -> dollars
    formula: dict[str, str]  # group -> the arithmetic, for the deal file and the CLI
    is_derived: bool  # False: no senior class by group, split pro rata to the deal's groups


def seniors_by_group(deal: Deal) -> dict[str, list[str]]:
    """The senior classes (``stepdown.senior_tranches``) each loan group pays, by name."""
    groups: dict[str, list[str]] = {g.name: [] for g in deal.groups}
    for tranche in deal.tranches:
        if tranche.name in deal.stepdown.senior_tranches and tranche.group in groups:
            groups[tranche.group].append(tranche.name)
    return groups


def _money(value: float) -> str:
    return f"{value:,.2f}"


def group_balances(
    deal: Deal, senior_balances: Mapping[str, float], pool: float, cumulative_loss: float
) -> GroupBalances:
    """Every group's balance when its seniors stand at ``senior_balances`` (class -> dollars),
    the pool at ``pool`` and cumulative realized losses at ``cumulative_loss``.

    A deal whose groups do not each back a senior class cannot be split by this history;
    its pool is split in proportion to the deal file's group balances instead.
    """
    names = [g.name for g in deal.groups]
    seniors = seniors_by_group(deal)
    original = {t.name: t.original_balance for t in deal.tranches}
    face = {g: sum(original[name] for name in seniors[g]) for g in names}
    senior_face = sum(face.values())
    if any(not seniors[g] for g in names) or senior_face <= 0.0:
        total = sum(g.balance for g in deal.groups)
        parts = _to_cents(pool, [g.balance / total for g in deal.groups])
        note = "pool split pro rata to the deal file's group balances (no senior per group)"
        return GroupBalances(
            dict(zip(names, parts, strict=True)), dict.fromkeys(names, note), False
        )
    cutoff = deal.cutoff_balance
    senior_share = senior_face / cutoff
    paydown = {g: face[g] - sum(senior_balances[name] for name in seniors[g]) for g in names}
    total_paydown = sum(paydown.values())
    extra = total_paydown - (cutoff - pool - cumulative_loss)
    raw = {}
    formula = {}
    for g in names:
        group_cutoff = face[g] / senior_share
        extra_share = extra * paydown[g] / total_paydown if total_paydown else 0.0
        loss_share = cumulative_loss * group_cutoff / cutoff
        raw[g] = group_cutoff - (paydown[g] - extra_share) - loss_share
        classes = " + ".join(seniors[g])
        formula[g] = (
            f"cut-off {_money(group_cutoff)} ({classes} original {_money(face[g])} / "
            f"{senior_share * 100:.6f}%, the seniors' share of the cut-off balance in every "
            f"group) - ({classes} paid down {_money(paydown[g])} - their share "
            f"{_money(extra_share)} of the {_money(extra)} extra principal to date) - share "
            f"{_money(loss_share)} of the {_money(cumulative_loss)} losses"
        )
    parts = _to_cents(pool, [raw[g] / pool for g in names])
    return GroupBalances(dict(zip(names, parts, strict=True)), formula, True)


def _to_cents(total: float, weights: list[float]) -> list[float]:
    """Split ``total`` by ``weights`` to the cent; the last part takes the rounding."""
    parts = [round(total * w, 2) for w in weights[:-1]]
    parts.append(round(total - sum(parts), 2))
    return parts


@dataclass(frozen=True, slots=True)
class PeriodCollections:
    """One period's reported pool collections (dollars)."""

    beginning_balance: float
    scheduled_principal: float
    liquidation_proceeds: float


def period_principal(
    collections: PeriodCollections, beginning: Mapping[str, float], smm: Mapping[str, float]
) -> dict[str, float]:
    """Each group's principal remittance in the period at its prepayment rate ``smm``.

    ``scheduled_g + smm_g * (beginning_g - scheduled_g) + liquidation_g``, the scheduled
    principal and liquidation proceeds being the pool's in proportion to the groups'
    beginning balances.
    """
    out = {}
    for name, balance in beginning.items():
        share = balance / collections.beginning_balance
        scheduled = collections.scheduled_principal * share
        liquidated = collections.liquidation_proceeds * share
        out[name] = scheduled + smm[name] * (balance - scheduled) + liquidated
    return out


def fitted_smm(
    collections: PeriodCollections, beginning: Mapping[str, float], principal: Mapping[str, float]
) -> dict[str, float]:
    """The SMM of each group at which ``period_principal`` gives ``principal`` (by group).

    The inverse of ``period_principal``: ``(principal_g - scheduled_g - liquidation_g) /
    (beginning_g - scheduled_g)``. Values outside 0..1 are returned as they are; the caller
    says which statement line makes them impossible.
    """
    out = {}
    for name, balance in beginning.items():
        share = balance / collections.beginning_balance
        scheduled = collections.scheduled_principal * share
        liquidated = collections.liquidation_proceeds * share
        left = balance - scheduled
        out[name] = (principal[name] - scheduled - liquidated) / left if left > 0 else 0.0
    return out
