"""Hypothesis profiles loaded once for the whole suite (STYLE C8)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_SLOW_CHECKS = [HealthCheck.too_slow, HealthCheck.data_too_large]
# The first example pays for numba compilation, so no deadline. Without the JIT every run is
# plain Python: fewer examples keep that pass of the suite within minutes.
_EXAMPLES = 15 if os.environ.get("NUMBA_DISABLE_JIT") == "1" else None

settings.register_profile(
    "dev", max_examples=_EXAMPLES or 40, deadline=None, suppress_health_check=_SLOW_CHECKS
)
settings.register_profile(
    "ci",
    max_examples=_EXAMPLES or 150,
    deadline=None,
    derandomize=True,
    suppress_health_check=_SLOW_CHECKS,
)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
