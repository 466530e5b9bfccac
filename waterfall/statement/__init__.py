"""The trustee's monthly statement: read it into exact records and check its arithmetic.

The reader (``statement.read``) is imported when one of its names is first used, not with
the package: ``waterfall run`` and ``waterfall grid`` never read a statement, and importing
the reader (its record classes and patterns) was about 18 ms of their start.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from waterfall.statement.read import (
        PER_THOUSAND_TOLERANCE,
        CheckRules,
        ClassDistribution,
        ClassInterestShortfall,
        CollateralInterest,
        CollateralPrincipal,
        DistributionTotal,
        LoanCountBalance,
        PerThousand,
        PoolSummary,
        ServicerDelinquency,
        ServicerLoans,
        Statement,
        check_statement,
        parse_statement,
        read_statement,
    )

__all__ = [
    "PER_THOUSAND_TOLERANCE",
    "CheckRules",
    "ClassDistribution",
    "ClassInterestShortfall",
    "CollateralInterest",
    "CollateralPrincipal",
    "DistributionTotal",
    "LoanCountBalance",
    "PerThousand",
    "PoolSummary",
    "ServicerDelinquency",
    "ServicerLoans",
    "Statement",
    "check_statement",
    "parse_statement",
    "read_statement",
]


if not TYPE_CHECKING:  # mypy sees the names above, and flags any other

    def __getattr__(name: str) -> Any:
        if name not in __all__:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module("waterfall.statement.read"), name)
        globals()[name] = value  # once: later uses find it here
        return value

    def __dir__() -> list[str]:
        return sorted({*globals(), *__all__})
