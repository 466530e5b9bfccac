"""Many scenarios for one deal: scenario-grid files and the runs over them."""

from waterfall.grid.spec import METRICS, GridPoint, GridSpec, load_grid

__all__ = ["METRICS", "GridPoint", "GridSpec", "load_grid"]
