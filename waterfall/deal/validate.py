"""Cross-reference checks of a loaded deal: the waterfall must be a program that can run.

Type and range checks happen while reading (``load.py``); these checks need the whole deal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from waterfall.deal.model import Deal

if TYPE_CHECKING:
    from waterfall.yaml_loader import PathKey, Reader

ONE_TARGET_ACTIONS = ("pay_penalties", "pay_residual")
BOND_ACTIONS = ("pay_principal", "write_down", "reimburse_writedown")


def validate_waterfall(deal: Deal, r: Reader) -> None:
    """Record a located problem for every rule the compiled program would break."""
    kinds = {tranche.name: tranche.kind for tranche in deal.tranches}
    groups = {tranche.name: tranche.group for tranche in deal.tranches}
    for i, step in enumerate(deal.waterfall):
        if not step.action:
            continue
        path = ("waterfall", i, step.action)
        if step.action in ONE_TARGET_ACTIONS and len(step.targets) != 1:
            r.fail(path, f"{step.action} takes one tranche, got {len(step.targets)}")
        if step.action in BOND_ACTIONS:
            for name in step.targets:
                if kinds.get(name, "bond") != "bond":
                    r.fail(
                        path, f"{step.action} applies to bond tranches; '{name}' is {kinds[name]}"
                    )
        if step.action == "pay_interest":
            for name in step.targets:
                if kinds.get(name) == "residual":
                    r.fail(path, f"residual tranche '{name}' has no interest; use pay_residual")
        if step.mode == "by_group" and step.action == "pay_principal":
            for name in step.targets:
                if groups.get(name) is None:
                    r.fail(
                        path, f"mode by_group needs a group on every tranche; '{name}' has none"
                    )
        if step.credit_target is not None and step.action != "pay_principal":
            r.fail(("waterfall", i, "target"), "'target' applies to pay_principal steps only")
        if len(set(step.targets)) != len(step.targets):
            r.fail(path, "a tranche is named twice in one step")
    paid_fees = {step.fee for step in deal.waterfall if step.action == "pay_fee"}
    # a pay_fee step naming an unknown fee is reported already: one typo, one line
    fees_resolved = "" not in paid_fees
    has_waterfall = ("waterfall",) not in r.doc.reported
    for i, fee in enumerate(deal.fees):
        if has_waterfall and fees_resolved and fee.name not in paid_fees:
            r.fail(
                ("fees", i, "name"),
                f"fee '{fee.name}' is never paid: add a step '- pay_fee: {fee.name}' to the "
                "waterfall, or remove the fee",
            )
    for i, step in enumerate(deal.waterfall):
        if step.action not in ("", "pay_fee", "overcollateralization") and not step.targets:
            r.fail(("waterfall", i, step.action), f"{step.action} names no tranche")
    if has_waterfall and (
        not deal.waterfall or deal.waterfall[-1].action not in ("pay_residual", "")
    ):
        r.fail(
            ("waterfall",),
            "the last step must be pay_residual, so that every dollar collected has a recipient",
        )
    if len([s for s in deal.waterfall if s.action == "overcollateralization"]) > 1:
        r.fail(("waterfall",), "overcollateralization may appear once")
    for tranche_index, tranche in enumerate(deal.tranches):
        tranche_path: PathKey = ("tranches", tranche_index)
        if tranche.holds_overcollateralization and tranche.kind != "residual":
            r.fail(tranche_path, "holds_overcollateralization applies to a residual tranche")
        if tranche.is_capped and tranche.margin is None:
            r.fail(
                (*tranche_path, "capped"), "the available-funds cap applies to floating tranches"
            )
    for i, name in enumerate(deal.stepdown.senior_tranches):
        if kinds.get(name, "bond") != "bond":
            r.fail(("stepdown", "senior_tranches", i), f"'{name}' is not a bond tranche")
    dates_read = not {("as_of",), ("first_distribution",)} & r.doc.reported
    if dates_read and deal.as_of < deal.first_distribution.replace(day=1):
        r.fail(
            ("as_of",),
            f"as_of {deal.as_of} is before first_distribution {deal.first_distribution}",
        )
