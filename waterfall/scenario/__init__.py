"""Projection assumptions: scenario files, command-line values and monthly vectors."""

from waterfall.scenario.load import check_curve, check_groups, load_scenario
from waterfall.scenario.model import BASE, Curve, Scenario

__all__ = ["BASE", "Curve", "Scenario", "check_curve", "check_groups", "load_scenario"]
