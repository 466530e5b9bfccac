"""Time each piece of a grid scenario on one thread: collateral, monthly collections, the
waterfall, the grid kernel as a whole, and the metrics.

Then one month of the waterfall, past the 100th, in two scenarios: one whose bonds are paid
off or written down from month 81 (90 CPR, 5 CDR, 50% severity; basis-risk carry-forwards
and B's write-down keep them owed to the last month, so a grid runs every month) and one
whose bonds carry balances to month 307 (5 CPR, 5 CDR). Each is ``run_months`` over 341
months less over the first 100, one call a run.

    python benchmarks/profile_pieces.py [--scenarios 400] [--repeats 5]

The single-run pieces are called from Python once per scenario, so each includes numba's
dispatch (unboxing the NamedTuples of arrays); ``dispatch`` times an empty kernel that
takes the waterfall's arguments, to subtract. Minimums over ``--repeats`` (the machine is
shared). For where time goes inside a compiled call, run this under ``perf record -g`` and
read ``perf report`` (numba's JIT symbols need ``NUMBA_ENABLE_PROFILING=1``).
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numba

from waterfall import load_deal
from waterfall._jit import kernel
from waterfall.deal.model import Deal
from waterfall.engine import _month_arrays, waterfall_inputs
from waterfall.grid import GridPoint
from waterfall.grid.run import _prepare, _run_block, run_grid, scenario_for
from waterfall.kernels.collateral import project_collateral
from waterfall.kernels.payments import apply_waterfall, run_months, start_waterfall
from waterfall.scenario import Scenario, load_scenario

ROOT = Path(__file__).parents[1]


@kernel
def _empty(program, tranches, fees, months, terms, work, out):  # type: ignore[no-untyped-def]
    return 0


def _best(action: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def _later_month(deal: Deal, base: Scenario, cpr: float, cdr: float, repeats: int) -> float:
    """Seconds a month of the waterfall takes past the 100th (see the module's text)."""
    scenario = scenario_for(base, GridPoint(cpr, cdr, 50.0, 12, 1.8025))
    compiled, _, months, out, work = waterfall_inputs(deal, scenario)
    n_months, program = compiled.n_months, compiled.program
    every_month = program.targets[:0]

    def months_to(stop: int) -> Callable[[], object]:
        def run() -> None:
            start_waterfall(compiled.tranches, compiled.terms, work)
            run_months(
                0, stop, program, compiled.tranches, compiled.fees, months, compiled.terms,
                work, out, every_month, n_months, False,
            )  # fmt: skip

        return run

    first = 100
    months_to(n_months)()
    whole, head = _best(months_to(n_months), repeats), _best(months_to(first), repeats)
    return (whole - head) / (n_months - first)


def main() -> None:
    """Print microseconds per scenario for each piece."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=400)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    numba.set_num_threads(1)
    deal = load_deal(ROOT / "deals" / "2002-HE1.yaml")
    base = load_scenario(deal.default_scenario)
    points = [
        GridPoint(float(c), float(d), float(s), 12, 1.8025)
        for c, d, s in itertools.product(range(2, 100, 4), range(0, 25, 2), (35, 50, 65, 90))
    ][: args.scenarios]
    n = len(points)
    scenarios = [scenario_for(base, p) for p in points]
    runs = [waterfall_inputs(deal, s) for s in scenarios[:20]]

    def collateral() -> None:
        for r in runs:
            project_collateral(r.compiled.collateral, r.compiled.rates, r.collateral, True)

    def fill() -> None:
        for r in runs:
            _month_arrays(r.compiled, r.collateral, True)

    def waterfall() -> None:
        for c, _, m, p, w in runs:
            apply_waterfall(c.program, c.tranches, c.fees, m, c.terms, w, p)

    def dispatch() -> None:
        for c, _, m, p, w in runs:
            _empty(c.program, c.tranches, c.fees, m, c.terms, w, p)

    prep = _prepare(deal, base, points)
    collateral(), fill(), waterfall(), dispatch()
    _run_block(prep, deal, base, slice(0, 2))
    run_grid(deal, base, points[:2])
    k = len(runs)
    rows = {
        "collateral (project_collateral), per call": _best(collateral, args.repeats) / k,
        "monthly collections (fill_months + allocation), per call": _best(fill, args.repeats) / k,
        "waterfall (apply_waterfall), per call": _best(waterfall, args.repeats) / k,
        "dispatch of an empty kernel with the waterfall's arguments": _best(dispatch, args.repeats)
        / k,
        f"grid kernel (_run_block, {n} scenarios, 1 thread), per scenario": _best(
            lambda: _run_block(prep, deal, base, slice(0, n)), args.repeats
        )
        / n,
        f"run_grid end to end ({n} scenarios, 1 thread), per scenario": _best(
            lambda: run_grid(deal, base, points), args.repeats
        )
        / n,
    }
    for cpr, cdr, bonds in ((90.0, 5.0, "paid off"), (5.0, 5.0, "with balances")):
        name = f"a month after the 100th, {cpr:g} CPR {cdr:g} CDR (bonds {bonds}; best of"
        rows[f"{name} {30 * args.repeats} runs)"] = _later_month(
            deal, base, cpr, cdr, 30 * args.repeats
        )
    out = sys.stdout
    out.write(f"load average {os.getloadavg()[0]:.2f}; numba threads 1; best of {args.repeats}\n")
    for name, seconds in rows.items():
        out.write(f"{seconds * 1e6:10.3f} us  {name}\n")


if __name__ == "__main__":
    main()
