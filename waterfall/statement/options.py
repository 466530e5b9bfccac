"""The statement commands' choices and defaults, apart from the code that uses them, so the
command line can offer them without importing the statement reader."""

from __future__ import annotations

DEFAULT_RECOVERY_LAG_MONTHS = 12
"""Assumed months from default to liquidation for the observed scenario (not reported)."""

DEFAULT_METHODS = ("pipeline", "one-month")
"""How the observed scenario's default rate is set: the rate that keeps the 60+ day pipeline
at its reported size over the recovery lag, or the period's liquidations over the pool."""

BASES = ("checked", "input", "fitted")
"""What a reconciled line proves: computed without reading it, read from the statement, or
calibrated to this statement."""
