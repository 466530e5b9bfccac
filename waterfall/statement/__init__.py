"""The trustee's monthly statement: read it into exact records and check its arithmetic."""

from __future__ import annotations

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
