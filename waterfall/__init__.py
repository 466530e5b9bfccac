"""waterfall: an open, fast cash-flow waterfall simulator for RMBS."""

from waterfall.deal import Deal, load_deal
from waterfall.engine import Result, run
from waterfall.errors import DealFileError, ScenarioFileError
from waterfall.scenario import BASE, Scenario, load_scenario

__all__ = [
    "BASE",
    "Deal",
    "DealFileError",
    "Result",
    "Scenario",
    "ScenarioFileError",
    "load_deal",
    "load_scenario",
    "run",
]
