"""Measure the grid's speed and memory in one run and write ``benchmarks/RESULTS.md``.

    python benchmarks/measure.py              # everything (about 5 minutes on 2 cores)
    python benchmarks/measure.py --quick      # tiny sizes: checks the command works (CI)

In one run, side by side:

* the hand-written floor (``../shared/tools/floor_probe_2002he1.py``, from the repository's
  parent folder; skipped with a note when absent) and our scenario kernel on the same
  20,000-scenario grid (50 CPR x 20 CDR x 20 severities, lag 12), microseconds per
  scenario on one core, and their ratio;
* the grid end to end through the command line (``waterfall grid ... --out FILE.csv``) on
  that grid, 1 thread and 2 (``NUMBA_NUM_THREADS``, the two run in turn), and the speed-up;
* the 100,000- and 1,000,000-scenario grids through the command line: wall time and peak
  resident memory (each in its own process);
* the first ``waterfall run`` and first ``waterfall grid`` with an empty kernel cache, and
  the warm ``waterfall run`` (median of 5).

Times are medians of ``--repeats`` (the machine may be shared: the load average is written
beside them). Nothing here is a pass/fail test.
"""

from __future__ import annotations

import argparse
import compileall
import datetime
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROBE = ROOT.parent / "shared" / "tools" / "floor_probe_2002he1.py"
DEAL = ROOT / "deals" / "2002-HE1.yaml"
RESULTS = ROOT / "benchmarks" / "RESULTS.md"

CHILD = """
import resource, sys, time
started = time.perf_counter()
from waterfall.cli import main
code = main(sys.argv[1:])
wall = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
sys.stderr.write(f"@@measure wall={wall} peak_kb={peak} code={code}\\n")
sys.exit(code)
"""
"""A command-line run in its own process that reports its wall time and peak RSS."""

CONSOLE = "from waterfall.cli import console_main; console_main()"
"""What the installed ``waterfall`` command runs (``python -m waterfall`` exits the slow
way, so a profiler run under it can still print)."""


def _linspace(low: float, high: float, n: int, keep: float | None = None) -> list[float]:
    values = [low + (high - low) * k / (n - 1) for k in range(n)] if n > 1 else [low]
    if keep is not None:
        nearest = min(range(n), key=lambda k: abs(values[k] - keep))
        values[nearest] = keep
    return [round(v, 10) for v in values]


def write_grid(path: Path, cprs: list[float], cdrs: list[float], sevs: list[float]) -> int:
    """A grid file of every combination, lag 12; returns its number of scenarios."""

    def axis(values: list[float]) -> str:
        return "[" + ", ".join(repr(float(v)) for v in values) + "]"

    path.write_text(
        f"name: benchmark\ncpr: {axis(cprs)}\ncdr: {axis(cdrs)}\nseverity: {axis(sevs)}\n"
        "lag: [12]\n"
    )
    return len(cprs) * len(cdrs) * len(sevs)


def probe_grid(quick: bool) -> tuple[list[float], list[float], list[float]]:
    """The floor probe's 50 x 20 x 20 grid (or a 4 x 2 x 2 one when quick)."""
    if quick:
        return [10.0, 20.0, 30.0, 40.0], [0.0, 5.0], [35.0, 50.0]
    return (
        _linspace(2.0, 99.0, 50, keep=30.0),
        _linspace(0.0, 25.0, 20),
        _linspace(35.0, 90.0, 20, keep=50.0),
    )


def run_cli(args: list[str], threads: int, cache: Path | None = None) -> tuple[float, int]:
    """Run ``waterfall ARGS`` in a fresh process; return (wall seconds, peak RSS in KB)."""
    env = dict(os.environ, NUMBA_NUM_THREADS=str(threads))
    if cache is not None:
        env["WATERFALL_CACHE_DIR"] = str(cache)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *args],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    found = re.search(r"@@measure wall=(\S+) peak_kb=(\d+) code=(\d+)", done.stderr)
    if done.returncode != 0 or not found:
        raise RuntimeError(f"waterfall {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return float(found.group(1)), int(found.group(2))


def time_process(args: list[str], cache: Path | None = None) -> float:
    """Wall seconds of ``waterfall ARGS`` in a fresh process, interpreter start included."""
    env = dict(os.environ)
    if cache is not None:
        env["WATERFALL_CACHE_DIR"] = str(cache)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", CONSOLE, *args],
        env=env,
        capture_output=True,
        cwd=ROOT,
        check=True,
    )
    return time.perf_counter() - started


def kernel_per_scenario(grid: Path, repeats: int, both_horizons: bool = False) -> float:
    """Median microseconds per scenario of the scenario kernel (metrics included), 1 thread;
    ``both_horizons`` measures with the call both ways too, as the CLI grid does."""
    code = f"""
import statistics, sys, time, numba
from waterfall import load_deal
from waterfall.grid import load_grid
from waterfall.grid.run import _prepare, _run_block
from waterfall.scenario import load_scenario
numba.set_num_threads(1)
deal = load_deal({str(DEAL)!r})
base = load_scenario(deal.default_scenario)
points = load_grid({str(grid)!r}).points
prep = _prepare(deal, base, points, with_other_horizon={both_horizons})
_run_block(prep, deal, base, slice(0, 2))
times = []
for _ in range({repeats}):
    started = time.perf_counter()
    _run_block(prep, deal, base, slice(0, len(points)))
    times.append((time.perf_counter() - started) / len(points) * 1e6)
print(statistics.median(times))
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    return float(done.stdout.strip().splitlines()[-1])


def run_probe(repeats: int) -> dict[str, float] | str:
    """The floor probe's us/scenario/core (metrics on and off, 1 thread), or why not."""
    if not PROBE.is_file():
        return f"not measured: {PROBE} is absent"
    done = subprocess.run(
        [sys.executable, str(PROBE), "--repeats", str(repeats)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    found = re.search(
        r"\| us / scenario / core, 1 thread \(wall\) \| ([\d.]+) \| ([\d.]+) \|", done.stdout
    )
    medians = re.search(r"\| medians: 1 thread / 2 threads \| ([\d.]+) / ([\d.]+) \|", done.stdout)
    if done.returncode != 0 or not found:
        return f"not measured: the probe failed ({done.stderr.strip()[-300:]})"
    result = {"metrics_on": float(found.group(1)), "metrics_off": float(found.group(2))}
    if medians:
        result["metrics_on_median"] = float(medians.group(1))
    return result


def machine() -> str:
    """lscpu's main lines, Python and numba versions, the load average."""
    lines = []
    if shutil.which("lscpu"):
        text = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        keep = ("Architecture", "Model name", "CPU(s)", "Thread(s) per core", "Core(s) per")
        keep += ("Socket(s)", "Hypervisor vendor", "L2 cache", "L3 cache")
        lines += [f"    {line.strip()}" for line in text.splitlines() if line.startswith(keep)]
    import numba
    import numpy

    lines.append(
        f"    Python {platform.python_version()}, numpy {numpy.__version__}, "
        f"numba {numba.__version__}, os.cpu_count() {os.cpu_count()}"
    )
    return "\n".join(lines)


def load() -> str:
    """The 1, 5 and 15 minute load averages."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    """Measure and write the results file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke test)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=str(RESULTS), help="results file (Markdown)")
    args = parser.parse_args(argv)
    repeats = 1 if args.quick else args.repeats
    rows: list[tuple[str, str, str]] = []
    notes: list[str] = []
    # an installed package has its bytecode compiled (pip does it at install); an editable
    # checkout under PYTHONDONTWRITEBYTECODE=1 would recompile every module at each start
    # (about 0.09 s of a warm run), so the package is byte-compiled first, as installed
    compileall.compile_dir(ROOT / "waterfall", quiet=1)
    notes.append(
        "The package's bytecode is compiled first (`compileall`), as `pip install .` leaves it."
    )
    started_load = load()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        grid = work / "probe-grid.yaml"
        n = write_grid(grid, *probe_grid(args.quick))
        out = work / "grid.csv"

        probe = "skipped with --quick" if args.quick else run_probe(repeats)
        ours = kernel_per_scenario(grid, repeats)
        both = kernel_per_scenario(grid, repeats, both_horizons=True)
        if isinstance(probe, str):
            notes.append(f"Floor probe {probe}.")
            rows.append(("scenario kernel, us / scenario / core (metrics on)", f"{ours:.1f}", "-"))
        else:
            ratio = ours / probe["metrics_on"]
            rows.append(
                (
                    f"scenario kernel with every class's metrics, us / scenario / core, "
                    f"{n:,} scenarios",
                    f"{ours:.1f}",
                    f"floor {probe['metrics_on']:.1f} (no metrics {probe['metrics_off']:.1f}); "
                    f"ratio {ratio:.1f}x (the kernel alone: the 2x goal is end to end, below)",
                )
            )
        rows.append(
            (
                "the same with the call both ways (to call beside to maturity, as the CLI grid)",
                f"{both:.1f}",
                "one projection; the call month run twice, every class measured twice",
            )
        )
        cli = ["grid", str(DEAL), "--scenarios", str(grid), "--out", str(out)]
        runs: dict[int, list[float]] = {1: [], 2: []}
        for _ in range(repeats):
            # 1 and 2 threads in turn, so both medians come from the same minutes of a shared
            # machine (all of one, then all of the other, let a neighbour's load fall on one)
            for threads in (1, 2):
                runs[threads].append(run_cli(cli, threads)[0])
        walls = {threads: statistics.median(times) for threads, times in runs.items()}
        for threads in (1, 2):
            per_core = walls[threads] * threads / n * 1e6
            # the first goal: this, per scenario per core, within 2x of the floor's
            against = (
                f"; {per_core / probe['metrics_on']:.1f}x the floor's "
                f"{probe['metrics_on']:.1f} (goal 2x)"
                if not isinstance(probe, str)
                else ""
            )
            rows.append(
                (
                    f"grid end to end, CLI to CSV, {n:,} scenarios, {threads} thread(s)",
                    f"{walls[threads]:.2f} s",
                    f"{walls[threads] / n * 1e6:.0f} us / scenario wall, "
                    f"{per_core:.0f} per core{against}",
                )
            )
        rows.append(
            ("speed-up 1 -> 2 threads, CLI end to end", f"{walls[1] / walls[2]:.2f}x", "goal 1.8x")
        )
        # what every grid pays before its first scenario and after its last (imports, numba's
        # first dispatch, the cache load, the file's rename) does not shrink with threads:
        # the same command on one scenario measures it
        one = work / "one-scenario.yaml"
        write_grid(one, [30.0], [5.0], [40.0])
        fixed = statistics.median(
            run_cli(["grid", str(DEAL), "--scenarios", str(one), "--out", str(out)], 2)[0]
            for _ in range(repeats)
        )
        # (a grid too small to outlast the fixed start, as with --quick, tells nothing)
        rest = (walls[1] - fixed) / (walls[2] - fixed) if walls[2] > fixed else math.nan
        rows.append(
            (
                "the same less a one-scenario grid's wall (the fixed start), 1 -> 2 threads",
                "-" if math.isnan(rest) else f"{rest:.2f}x",
                f"fixed start {fixed:.2f} s: the most 1 -> 2 threads can give end to end at "
                f"this size is {walls[1] / (fixed + (walls[1] - fixed) / 2):.2f}x",
            )
        )

        sizes = ((10, 10, 10), (20, 10, 10)) if args.quick else ((100, 100, 10), (100, 100, 100))
        for size, (cprs, cdrs, sevs) in enumerate(sizes):
            big = work / "big.yaml"
            count = write_grid(
                big,
                _linspace(2.0, 60.0, cprs),
                _linspace(0.0, 25.0, cdrs),
                _linspace(20.0, 90.0, sevs),
            )
            wall, peak = run_cli(
                ["grid", str(DEAL), "--scenarios", str(big), "--out", str(out)], 2
            )
            rows.append(
                (
                    f"grid of {count:,} scenarios through the CLI to CSV, 2 threads",
                    f"{wall:.1f} s",
                    f"peak RSS {peak / 1024:.0f} MB; CSV {out.stat().st_size / 1e6:.0f} MB",
                )
            )
            if size == 0:
                # the fixed start weighs five times less here than in the 20,000 above
                alone = run_cli(["grid", str(DEAL), "--scenarios", str(big), "--out", str(out)], 1)
                rows.append(
                    (
                        f"the same {count:,} scenarios on 1 thread",
                        f"{alone[0]:.1f} s",
                        f"1 -> 2 threads {alone[0] / wall:.2f}x at this size",
                    )
                )

        # --quick keeps the current cache: a first run compiles for half a minute
        cache = None if args.quick else work / "cache"
        first_run = time_process(["run", str(DEAL)], cache)
        first_grid = time_process(
            ["grid", str(DEAL), "--scenarios", str(ROOT / "scenarios" / "investor-grid.yaml"),
             "--out", str(out)],
            cache,
        )  # fmt: skip
        rows.append(
            (
                "first `waterfall run` + first `waterfall grid`"
                + (" (warm cache: --quick)" if args.quick else " (empty kernel cache)"),
                f"{first_run + first_grid:.1f} s",
                f"run {first_run:.1f} s, grid {first_grid:.1f} s (goal 20 s together)",
            )
        )
        warm = statistics.median(
            time_process(["run", str(DEAL)], cache) for _ in range(1 if args.quick else 5)
        )
        rows.append(("warm `waterfall run`, wall", f"{warm:.2f} s", "goal 0.5 s"))

    text = [
        "# Benchmark results",
        "",
        "Written by `python benchmarks/measure.py`"
        + (" --quick (tiny sizes: not figures to quote)" if args.quick else "")
        + f" on {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC.",
        "",
        "Machine:",
        "",
        machine(),
        "",
        f"Load average before: {started_load}; after: {load()} (1, 5, 15 minutes). The "
        "machine may be shared: compare the figures of one run, not across runs.",
        "",
        "| what | measured | beside it |",
        "|---|---:|---|",
        *(f"| {a} | {b} | {c} |" for a, b, c in rows),
        "",
        *notes,
    ]
    findings = ROOT / "benchmarks" / "FINDINGS.md"
    if findings.is_file() and not args.quick:
        text += ["", findings.read_text().strip()]
    Path(args.out).write_text("\n".join(text).rstrip() + "\n")
    sys.stdout.write("\n".join(text) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
