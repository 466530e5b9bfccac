"""The `waterfall` command: parse, call the public API, format. No logic of its own."""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import io
import json
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any, NoReturn, TextIO, cast

from waterfall._jit import compile_aside, skip_numba_extensions, stop_aside
from waterfall.analytics.batch import COMPILE_MEASURES, measures_need_compiling
from waterfall.deal import Deal, load_deal
from waterfall.deal.load import SOURCES
from waterfall.deal.model import CollateralGroup
from waterfall.engine import kernels_need_compiling, project_pool, run
from waterfall.errors import (
    GridFileError,
    InputFileError,
    Problem,
    ScenarioFileError,
    UsageError,
)
from waterfall.grid import GridPoint, load_grid
from waterfall.grid.cluster import ClusterUnavailable, run_grid_on_cluster
from waterfall.grid.run import (
    BLOCK_SIZE,
    GridResult,
    describe,
    grid_kernel_needs_compiling,
    other_horizon,
    run_grid,
    scenario_for,
)
from waterfall.grid.spec import AXES, METRICS, curve_axis_values, measured_metric
from waterfall.measures import prices_at
from waterfall.report.cashflows import (
    cashflows_csv,
    write_cashflows_parquet,
    write_cashflows_xlsx,
)
from waterfall.report.grid import grid_csv, grid_json, grid_pivot, write_parquet
from waterfall.report.investor import (
    breakeven_rows,
    breakeven_text,
    price_table_json,
    price_table_rows,
    price_table_text,
    rows_csv,
)
from waterfall.report.plot import PlotUnavailable, plot_grid, plot_run
from waterfall.report.plot import ensure_available as ensure_plot_available
from waterfall.report.stream import (
    ResumeError,
    partial_path,
    stream_grid_csv,
    stream_grid_parquet,
)
from waterfall.report.summary import assumptions as scenario_assumptions
from waterfall.report.summary import brief, curve_text, pool_summary, result_summary
from waterfall.report.text import pool_csv, pool_table, run_csv, run_table
from waterfall.scenario import BASE, Curve, Scenario, check_curve, load_scenario
from waterfall.scenario.load import check_curve_groups, check_groups
from waterfall.sensitivity import (
    BREAKEVEN_TOLERANCE,
    breakeven,
    loss_classes,
    price_table,
)
from waterfall.statement.options import BASES, DEFAULT_METHODS, DEFAULT_RECOVERY_LAG_MONTHS

EXIT_BAD_FILE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # the shell's code for Ctrl-C


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit code 2 (no usage dump)."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: {message}; see '{self.prog} --help'\n")
        raise SystemExit(EXIT_USAGE)


def _add_rate_flags(parser: argparse.ArgumentParser, *, with_default: bool = True) -> None:
    vector = 'percent, or a vector like "4 11R 27" (see README)'
    prepay = parser.add_mutually_exclusive_group()
    prepay.add_argument("--cpr", help=f"annual prepayment rate, {vector}")
    prepay.add_argument("--smm", help=f"monthly prepayment rate, {vector}")
    prepay.add_argument("--psa", help="PSA speed in percent (100 = the standard curve)")
    if with_default:
        default = parser.add_mutually_exclusive_group()
        default.add_argument("--cdr", help=f"annual default rate, {vector}")
        default.add_argument("--mdr", help=f"monthly default rate, {vector}")
        default.add_argument("--sda", help="SDA speed in percent (100 = the standard curve)")
    parser.add_argument("--severity", help=f"loss severity, {vector}")
    parser.add_argument(
        "--lag",
        type=int,
        help="months from default to liquidation (default: the scenario's; for 2002-HE1 the "
        "observed scenario's 12; 0 when a deal has no scenario)",
    )
    parser.add_argument(
        "--advancing",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="P&I advanced on defaulted loans until liquidation (default: advancing)",
    )
    parser.add_argument("--months", type=int, help="months to project (default: to maturity)")
    parser.add_argument(
        "--format",
        choices=("table", "json", "csv"),
        default="table",
        help=FORMAT_HELP,
    )


FORMAT_HELP = (
    "table (default) for reading; json for programs (rates as numbers, percent where the key "
    "says so); csv for a spreadsheet"
)
TRIGGER_HELP = (
    "tested (default): the trigger event follows the deal's delinquency and loss tests; "
    "failing or passing: forced every month, as a dealer's 'TRIG FAIL' run"
)


def _add_scenario_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--libor", help="one-month LIBOR, percent or vector")
    parser.add_argument("--scenario", help="scenario file (YAML); flags override it")
    parser.add_argument("--trigger", choices=("tested", "failing", "passing"), help=TRIGGER_HELP)
    parser.add_argument(
        "--call",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="exercise the clean-up call on its first date",
    )
    parser.add_argument(
        "--ppis-days",
        type=float,
        help="days of a 30-day month's interest lost on each prepayment (default 0; 15 ="
        " prepayments mid-month); the servicer covers it up to its fee",
    )
    parser.add_argument(
        "--relief-act",
        type=float,
        help="percent of the loans whose rate the Relief Act caps at 6%% (default 0)",
    )


DISTRIBUTION = "rmbs-waterfall"
"""The name pip knows this project by; the command and the import are ``waterfall``."""

DESCRIPTION = """\
Project the cash flows of a residential mortgage-backed securitization: the collateral month
by month under your prepayment, default and severity assumptions, then the deal's priority of
payments, class by class. Assumptions on the command line are percentages (--cpr 30 is 30%
CPR) and take a vector such as "4 11R 27"."""

EPILOG = """\
examples:
  waterfall run deals/2002-HE1.yaml --cpr 30 --cdr 5 --severity 45
  waterfall run deals/2002-HE1.yaml --cpr 30 --cashflows cf.csv
  waterfall price-table deals/2002-HE1.yaml --class A-2 --prices 99,100,101
  waterfall breakeven deals/2002-HE1.yaml --all
  waterfall reconcile deals/2002-HE1.yaml deals/statements/2002-HE1-2002-11-15.txt

'waterfall COMMAND --help' lists a command's flags; the README explains each output column."""


def _version() -> str:
    try:
        return f"waterfall {metadata.version(DISTRIBUTION)} ({DISTRIBUTION})"
    except metadata.PackageNotFoundError:
        return f"waterfall (not installed: pip install . to register {DISTRIBUTION})"


class _VersionAction(argparse.Action):
    """``--version``, with the version read from the package's metadata only when it is
    asked for: reading it took about 11 ms of every command's start (0.4 s warm)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **_: Any) -> None:
        super().__init__(
            option_strings,
            dest,
            nargs=0,
            default=argparse.SUPPRESS,
            help="show program's version number and exit",
        )

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> NoReturn:
        sys.stdout.write(_version() + "\n")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = _Parser(
        prog="waterfall",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=_VersionAction)
    commands = parser.add_subparsers(
        dest="command", required=True, parser_class=_Parser, title="commands", metavar="COMMAND"
    )
    run_parser = commands.add_parser("run", help="project every class of a deal")
    run_parser.add_argument("deal", help="deal file (YAML)")
    _add_rate_flags(run_parser)
    _add_scenario_flags(run_parser)
    run_parser.add_argument(
        "--cashflows",
        metavar="FILE",
        help="also write the month-by-month cash-flow report: collateral by loan group, fees, "
        "every class, OC and triggers; FILE.csv, or .parquet / .xlsx with those extras",
    )
    run_parser.add_argument("--plot", help="also draw class balances and losses (PNG)")
    pricing = run_parser.add_mutually_exclusive_group()
    pricing.add_argument(
        "--price",
        type=float,
        help="price per 100 of each class's current face for yields and DMs (default 100)",
    )
    pricing.add_argument(
        "--yield",
        dest="yield_pct",
        type=float,
        metavar="Y",
        help="price every bond class to this bond-equivalent yield, percent",
    )
    pricing.add_argument(
        "--dm",
        type=float,
        metavar="BP",
        help="price every floater to this discount margin over the LIBOR path, basis points",
    )
    pool_parser = commands.add_parser("pool", help="project one pool, no waterfall")
    pool_parser.add_argument("--balance", type=float, required=True, help="dollars")
    pool_parser.add_argument("--wac", type=float, required=True, help="note rate, percent")
    pool_parser.add_argument("--term", type=int, required=True, help="remaining term, months")
    pool_parser.add_argument("--age", type=int, default=0, help="loan age, months")
    pool_parser.add_argument(
        "--servicing", type=float, default=0.0, help="servicing fee, percent a year"
    )
    _add_rate_flags(pool_parser)
    reconcile_parser = commands.add_parser(
        "reconcile", help="run a reported period and compare it with the trustee's statement"
    )
    reconcile_parser.add_argument("deal", help="deal file (YAML)")
    reconcile_parser.add_argument("statement", help="the trustee's monthly statement (text)")
    reconcile_parser.add_argument(
        "--format", choices=("table", "json", "csv"), default="table", help=FORMAT_HELP
    )
    breakeven_parser = commands.add_parser(
        "breakeven", help="highest constant CDR at which a class takes no write-down"
    )
    breakeven_parser.add_argument("deal", help="deal file (YAML)")
    which = breakeven_parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--class", dest="class_name", help="the class, e.g. M-2")
    which.add_argument(
        "--all",
        action="store_true",
        help="every class with principal at risk, except the prepayment-penalty class (P)",
    )
    _add_rate_flags(breakeven_parser, with_default=False)
    _add_scenario_flags(breakeven_parser)
    breakeven_parser.add_argument(
        "--columns",
        help="one breakeven per scenario: AXIS=V1,V2,... with AXIS one of cpr, severity, lag, "
        "libor (e.g. cpr=15,25,35: the classic table of breakevens by prepayment speed)",
    )
    table_parser = commands.add_parser(
        "price-table", help="yield or discount margin of a class by price and scenario"
    )
    table_parser.add_argument("deal", help="deal file (YAML)")
    table_parser.add_argument("--class", dest="class_name", required=True, help="e.g. A-2")
    table_parser.add_argument(
        "--prices", required=True, help="prices per 100 of current face, e.g. 99,99.5,100"
    )
    table_parser.add_argument(
        "--columns",
        default="cpr=15,25,35,45",
        help="one scenario per column: AXIS=V1,V2,... with AXIS one of cpr, cdr, severity, "
        "lag, libor (default cpr=15,25,35,45); other flags set the rest",
    )
    _add_rate_flags(table_parser)
    _add_scenario_flags(table_parser)
    grid_parser = commands.add_parser(
        "grid", help="run a grid of scenarios and measure every class under each"
    )
    grid_parser.add_argument("deal", help="deal file (YAML)")
    grid_parser.add_argument("--scenarios", required=True, help="grid file (YAML)")
    grid_parser.add_argument(
        "--scenario", help="base scenario for what the grid leaves out (default: the deal's)"
    )
    grid_parser.add_argument(
        "--trigger", choices=("tested", "failing", "passing"), help=TRIGGER_HELP
    )
    grid_parser.add_argument("--out", help="write here (format from the suffix) instead of stdout")
    grid_parser.add_argument(
        "--format",
        choices=("table", "csv", "json", "parquet"),
        help="table = a pivot per class of --metric (default, or from --out's suffix)",
    )
    grid_parser.add_argument(
        "--metric",
        choices=METRICS,
        help="pivot/plot metric (the other horizon's as yield_to_call, wal_years_to_maturity...)",
    )
    grid_parser.add_argument("--plot", help="also draw a heat map of --metric per class (PNG)")
    grid_parser.add_argument(
        "--scheduler", help="Dask scheduler address; without it the grid runs here"
    )
    grid_parser.add_argument("--block-size", type=int, default=BLOCK_SIZE, help=argparse.SUPPRESS)
    grid_parser.add_argument(
        "--resume",
        action="store_true",
        help="finish an interrupted --out FILE.csv from its checkpoint (FILE.csv.checkpoint)",
    )
    calibrate_parser = commands.add_parser(
        "calibrate",
        help="set a deal's starting state and observed assumptions from a trustee's statement",
    )
    calibrate_parser.add_argument("deal", help="deal file (YAML); rewritten in place")
    calibrate_parser.add_argument("statement", help="the trustee's monthly statement (text)")
    calibrate_parser.add_argument(
        "--scenario-out",
        help="observed scenario to write (default: the deal's default_scenario, else "
        "scenarios/YYYY-MM-observed.yaml beside the deal's folder)",
    )
    calibrate_parser.add_argument(
        "--lag",
        type=int,
        default=DEFAULT_RECOVERY_LAG_MONTHS,
        help=f"recovery lag of the observed scenario, months (default "
        f"{DEFAULT_RECOVERY_LAG_MONTHS}, assumed)",
    )
    calibrate_parser.add_argument(
        "--roll-60-89",
        type=float,
        default=0.0,
        help="percent of 60-89 day delinquencies added to the liquidation pipeline (default 0)",
    )
    calibrate_parser.add_argument(
        "--roll-90-plus",
        type=float,
        default=0.0,
        help="percent of 90+ day delinquencies added to the liquidation pipeline (default 0)",
    )
    calibrate_parser.add_argument(
        "--default-method",
        choices=DEFAULT_METHODS,
        default="pipeline",
        help="the observed scenario's CDR: the rate that keeps the 60+ day pipeline at its "
        "size over the lag (default), or the period's liquidations (one-month)",
    )
    calibrate_parser.add_argument(
        "--dry-run", action="store_true", help="print the figures, write nothing"
    )
    calibrate_parser.add_argument(
        "--format", choices=("table", "json", "csv"), default="table", help=FORMAT_HELP
    )
    validate_parser = commands.add_parser("validate", help="check deal files")
    validate_parser.add_argument("deals", nargs="+", help="deal files (YAML)")
    validate_parser.add_argument(
        "--format", choices=("table", "json"), default="table", help="table (default) or json"
    )
    for command in commands.choices.values():
        # each command's --help opens with what it does, the line 'waterfall --help' lists
        command.description = command.description or next(
            (a.help for a in commands._choices_actions if a.dest == command.prog.split()[-1]), None
        )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = build_parser().parse_args(argv)
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {
        "run": _run,
        "pool": _pool,
        "reconcile": _reconcile,
        "calibrate": _calibrate,
        "grid": _grid,
        "breakeven": _breakeven,
        "price-table": _price_table,
        "validate": _validate,
    }
    if args.command in COMPILING_COMMANDS:
        _announce_compiling(args)
    real_stdout = sys.stdout
    sys.stdout = cast("TextIO", _GuardedOutput(real_stdout))
    try:
        code = handlers[args.command](args)
        sys.stdout.flush()
        return code
    except UnwritableOutputError as error:
        sys.stderr.write(f"waterfall {args.command}: cannot write the output: {error}\n")
        _silence(real_stdout)
        return EXIT_USAGE
    except InputFileError as error:
        for problem in error.problems:
            sys.stderr.write(f"{problem}\n")
        return EXIT_BAD_FILE
    except UsageError as error:
        for line in str(error).splitlines():
            sys.stderr.write(f"waterfall {args.command}: {line}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write(f"waterfall {args.command}: interrupted\n")
        return EXIT_INTERRUPTED
    finally:
        sys.stdout = real_stdout
        stop_aside()


def console_main() -> NoReturn:
    """The ``waterfall`` command: ``main``, then a quick exit with its code.

    Once the output is flushed nothing is left to do, and the interpreter's shutdown
    (tearing down numba's and LLVM's objects one by one) took 0.11 s of a 0.7 s warm
    ``waterfall run``; ``os._exit`` skips it. Every file a command writes is closed (and
    renamed into place) before ``main`` returns. ``python -m waterfall`` exits the usual
    way, so a profiler run under it (``python -m cProfile -m waterfall ...``) still reports.
    numba does not look up its extensions here (``_jit.skip_numba_extensions``).
    """
    skip_numba_extensions()
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        sys.exit(code)  # output that cannot be flushed: the usual shutdown deals with it
    os._exit(code)


COMPILING_COMMANDS = ("run", "pool", "reconcile", "calibrate", "breakeven", "price-table", "grid")
MEASURING_COMMANDS = ("run", "breakeven", "price-table")
"""The commands that measure yields, margins and lives through ``analytics.batch`` (a grid
measures inside its own kernel)."""
COMPILE_NOTICE = "compiling the kernels (first run only)..."


def _announce_compiling(args: argparse.Namespace) -> None:
    """One line on stderr before a cold cache makes the command sit silent while numba
    compiles (about 10 s for a run, 9 s more for a first grid); and, for a command that
    measures (``MEASURING_COMMANDS``), the investor measures compiled meanwhile in a helper
    process (``_jit.compile_aside``).

    A grid calls only the grid kernel (the month body inside it is compiled with it), so
    only that kernel's cache is asked: a user who only runs grids never compiles the single
    run's kernels, and asking for those printed the notice on every grid."""
    is_cold = grid_kernel_needs_compiling() if args.command == "grid" else kernels_need_compiling()
    if is_cold:
        sys.stderr.write(f"waterfall {args.command}: {COMPILE_NOTICE}\n")
        sys.stderr.flush()
        if args.command in MEASURING_COMMANDS and measures_need_compiling():
            # the measures on the second core while this process compiles the month body
            compile_aside(COMPILE_MEASURES)


class UnwritableOutputError(Exception):
    """Standard output refused a write (a full disk, a closed pipe); the reason as text."""


class _GuardedOutput(io.TextIOBase):
    """Standard output whose failures become one ``UnwritableOutputError``, not a traceback."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        try:
            return self.stream.write(text)
        except OSError as error:
            raise UnwritableOutputError(error.strerror or str(error)) from None

    def flush(self) -> None:
        try:
            self.stream.flush()
        except OSError as error:
            raise UnwritableOutputError(error.strerror or str(error)) from None

    def isatty(self) -> bool:
        return self.stream.isatty()


def _silence(stream: TextIO) -> None:
    """Point a failed standard output at the null device, so the interpreter's own flush at
    exit does not fail a second time with a traceback."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, stream.fileno())
        os.close(null)
    except (OSError, ValueError, io.UnsupportedOperation):
        pass  # not a real file (a test's capture): nothing will flush it at exit


def _curve_value(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


def scenario_from_flags(
    args: argparse.Namespace, base: Scenario, deal: Deal | None = None
) -> Scenario:
    """Apply the command line's assumption flags on top of ``base``; a per-group flag
    (``--cpr "group_1=62.5; group_2=12.1"``) must name ``deal``'s loan groups."""
    changes: dict[str, Any] = {}
    problems = []
    for field, measures in (
        ("prepayment", ("cpr", "smm", "psa")),
        ("default", ("cdr", "mdr", "sda")),
        ("severity", ("severity",)),
        ("libor", ("libor",)),
    ):
        for measure in measures:
            text = getattr(args, measure, None)
            if text is None:
                continue
            curve, message = check_curve(measure, _curve_value(text))
            if curve is None:
                problems.append(f"--{measure} {text!r}: {message}")
            elif curve.by_group and deal is not None:
                groups = [g.name for g in deal.groups]
                problems.extend(
                    f"--{measure} {text!r}: {p.message}"
                    for p in check_curve_groups(curve, groups, deal.name)
                )
            changes[field] = curve
    if args.lag is not None:
        if not 0 <= args.lag <= 360:
            problems.append(f"--lag {args.lag}: expected 0 to 360 months")
        changes["recovery_lag_months"] = args.lag
    if args.months is not None:
        if not 1 <= args.months <= 720:
            problems.append(f"--months {args.months}: expected 1 to 720")
        changes["months"] = args.months
    if args.advancing is not None:
        changes["is_advancing"] = args.advancing
    if getattr(args, "trigger", None) is not None:
        changes["trigger"] = args.trigger
    if getattr(args, "call", None) is not None:
        changes["is_call_exercised"] = args.call
    days = getattr(args, "ppis_days", None)
    if days is not None:
        if not 0.0 <= days <= 30.0:
            problems.append(f"--ppis-days {days:g}: expected 0 to 30 days")
        changes["prepayment_interest_shortfall_days"] = days
    relief = getattr(args, "relief_act", None)
    if relief is not None:
        if not 0.0 <= relief <= 100.0:
            problems.append(f"--relief-act {relief:g}: expected a percentage from 0 to 100")
        changes["relief_act_percent"] = relief
    if problems:
        raise UsageError("\n".join(problems))
    if changes:
        changes["source"] = f"{base.source} + command line" if base.source else "command line"
    return dataclasses.replace(base, **changes)


def _base_scenario(args: argparse.Namespace, deal: Deal) -> Scenario:
    if args.scenario:
        return load_scenario(args.scenario)
    if deal.default_scenario:
        return load_scenario(deal.default_scenario)
    return BASE


def _run(args: argparse.Namespace) -> int:
    deal = load_deal(args.deal)
    scenario = scenario_from_flags(args, _base_scenario(args, deal), deal)
    if args.plot:
        problem = _plot_problem(args.plot)
        if problem:
            raise UsageError(problem)
    if args.cashflows:
        problem = _cashflows_problem(args.cashflows)
        if problem:
            raise UsageError(problem)
    price = 100.0 if args.price is None else args.price
    if not (math.isfinite(price) and 0.0 < price <= 1000.0):
        raise UsageError(f"--price {price:g}: expected a price above 0 and at most 1000")
    if args.yield_pct is not None and not -50.0 < args.yield_pct <= 100.0:
        raise UsageError(f"--yield {args.yield_pct:g}: expected a yield in percent, -50 to 100")
    if args.dm is not None and not -5000.0 <= args.dm <= 10000.0:
        raise UsageError(f"--dm {args.dm:g}: expected basis points, -5000 to 10000")
    result = run(deal, scenario)
    other = None
    if deal.clean_up_call.share_of_cutoff > 0.0:
        # the same scenario with the call the other way: to call beside to maturity
        called = result.payments.call_proceeds.sum() > 0.0
        other = run(deal, dataclasses.replace(scenario, is_call_exercised=not called))
    prices = None
    priced_by: tuple[str, float] = ("price", price)
    if args.yield_pct is not None:
        prices = prices_at(deal, result, yield_pct=args.yield_pct)
        priced_by = ("yield_percent", args.yield_pct)
    elif args.dm is not None:
        prices = prices_at(deal, result, discount_margin_bp=args.dm)
        priced_by = ("discount_margin_bp", args.dm)
    summary = result_summary(result, price, prices=prices, other=other, priced_by=priced_by)
    if args.plot:
        try:
            plot_run(result, args.plot)
        except (ValueError, OSError) as error:
            raise UsageError(f"--plot {args.plot}: {error}") from None
    if args.cashflows:
        _write_cashflows(result, Path(args.cashflows))
    if args.format == "json":
        sys.stdout.write(json.dumps(summary) + "\n")
    elif args.format == "csv":
        sys.stdout.write(run_csv(summary))
    else:
        sys.stdout.write(run_table(summary))
    return 0


CASHFLOW_EXTRAS = {".parquet": ("pyarrow", "parquet"), ".xlsx": ("openpyxl", "xlsx")}


def _cashflows_problem(path: str) -> str:
    """Check, before the run, that the report's format can be written; '' when it can."""
    extra = CASHFLOW_EXTRAS.get(Path(path).suffix.lower())
    if extra is not None:
        module, name = extra
        try:
            importlib.import_module(module)
        except ImportError:
            return (
                f"--cashflows {path}: a {name} file needs {module}: "
                f"pip install '{DISTRIBUTION}[{name}]'"
            )
    return ""


def _write_cashflows(result: Any, path: Path) -> None:
    """The cash-flow report in the format its suffix names (CSV unless .parquet or .xlsx)."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        _write_binary_atomically(path, lambda target: write_cashflows_parquet(result, target))
    elif suffix == ".xlsx":
        _write_binary_atomically(path, lambda target: write_cashflows_xlsx(result, target))
    else:
        write_atomically(path, cashflows_csv(result))


def _write_binary_atomically(path: Path, write: Callable[[str], None]) -> None:
    """Write through a temporary file beside ``path``, so no half-written file is left."""
    target = output_target(path)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        write(str(temporary))
        os.replace(temporary, target)
    except OSError as error:
        raise UsageError(f"cannot write '{path}': {error.strerror}") from None
    finally:
        temporary.unlink(missing_ok=True)


def _pool(args: argparse.Namespace) -> int:
    problems = []
    if not 0.0 < args.balance < 1e13:
        problems.append(f"--balance {args.balance:g}: expected a positive dollar amount")
    if not 0.0 <= args.wac <= 50.0:
        problems.append(f"--wac {args.wac:g}: expected a note rate in percent, 0 to 50")
    if not 1 <= args.term <= 600:
        problems.append(f"--term {args.term}: expected 1 to 600 months")
    if not 0 <= args.age <= 600:
        problems.append(f"--age {args.age}: expected 0 to 600 months")
    if 0.0 <= args.wac <= 50.0 and not 0.0 <= args.servicing <= args.wac:
        problems.append(f"--servicing {args.servicing:g}: expected 0 to the WAC, in percent")
    if problems:
        raise UsageError("\n".join(problems))
    scenario = scenario_from_flags(args, BASE)
    group = CollateralGroup("pool", args.balance, args.wac / 100.0, args.term, args.age)
    out = project_pool(group, scenario, args.servicing / 100.0)
    inputs = {
        "balance": args.balance,
        "wac": args.wac,
        "term": args.term,
        "age": args.age,
        "servicing": args.servicing,
    }
    summary = pool_summary(out, inputs, scenario)
    if args.format == "json":
        sys.stdout.write(json.dumps(summary) + "\n")
    elif args.format == "csv":
        sys.stdout.write(pool_csv(summary))
    else:
        sys.stdout.write(pool_table(summary))
    return 0


def _reconcile(args: argparse.Namespace) -> int:
    # the statement modules load with the commands that read a statement (18 ms of a start)
    from waterfall.statement.read import parse_statement
    from waterfall.statement.reconcile import reconcile

    deal = load_deal(args.deal)
    text = _read_text(args.statement)
    statement = parse_statement(text, args.statement)
    lines = reconcile(deal, statement, text, args.statement)
    rows = [
        {
            "line": line.name,
            "basis": line.basis,
            "reported": float(line.reported),
            "modeled": round(float(line.modeled), max(line.decimals, 8)),
            "difference": float(line.difference),
            "reconciled": bool(line.is_reconciled),
            "explained": line.explained,
        }
        for line in lines
    ]
    failed = [line for line in lines if not line.is_reconciled]
    counts = {basis: sum(1 for line in lines if line.basis == basis) for basis in BASES}
    if args.format == "json":
        sys.stdout.write(json.dumps({"lines": rows, "counts": counts}) + "\n")
    elif args.format == "csv":
        sys.stdout.write(rows_csv(rows))
    else:
        sys.stdout.write(
            f"{'line':<46} {'basis':<7} {'reported':>20} {'modeled':>20} {'difference':>13}\n"
        )
        for line in lines:
            mark = "" if line.is_exact else f"  <- {line.explained or 'UNEXPLAINED'}"
            if not line.is_reconciled and line.basis == "fitted":
                mark += " (the deal's calibration to this statement differs: calibrate again)"
            d = line.decimals
            sys.stdout.write(
                f"{line.name:<46} {line.basis:<7} {line.reported:>20,.{d}f} "
                f"{line.modeled:>20,.{d}f} {line.difference:>13,.{d}f}{mark}\n"
            )
        sys.stdout.write(
            f"{len(lines) - len(failed)} of {len(lines)} lines reconciled to the cent or "
            f"explained: {counts['checked']} checked (computed without reading them), "
            f"{counts['input']} input (read from this statement), {counts['fitted']} fitted "
            "(calibrated to it)\n"
        )
    return 1 if failed else 0


def _breakeven(args: argparse.Namespace) -> int:
    deal = load_deal(args.deal)
    base = scenario_from_flags(args, _base_scenario(args, deal), deal)
    classes = loss_classes(deal)
    if not args.all and args.class_name not in classes:
        raise UsageError(
            f"--class {args.class_name}: not a class with principal to lose; choose one of "
            + ", ".join(classes)
        )
    # --all: the classes an investor holds for principal; the prepayment-penalty class (P's
    # $100) ranks last and would only repeat the class above it (ask for it by --class)
    penalty_classes = {
        t for step in deal.waterfall if step.action == "pay_penalties" for t in step.targets
    }
    names = (
        tuple(name for name in classes if name not in penalty_classes)
        if args.all
        else (args.class_name,)
    )
    called = (
        deal.clean_up_call.is_exercised
        if base.is_call_exercised is None
        else (base.is_call_exercised)
    )
    horizon = (
        f"{base.months} months only (a loss after them is not seen)"
        if base.months
        else "to the clean-up call"
        if called
        else "to maturity (call not exercised)"
    )
    header = {
        "prepayment": curve_text(base.prepayment),
        "severity": curve_text(base.severity),
        "recovery_lag_months": f"lag {base.recovery_lag_months} months",
        "advancing": "P&I advanced" if base.is_advancing else "no advancing",
        "libor": curve_text(base.libor) if base.libor else f"libor {deal.index_rate * 100:g}",
        "trigger": f"trigger {base.trigger}",
        "horizon": horizon,
        "tolerance_cdr": BREAKEVEN_TOLERANCE,
    }
    # numbers for a program (the default rate is what is solved for, so it is left out)
    assumptions = {
        key: value
        for key, value in scenario_assumptions(base, deal.index_rate).items()
        if key not in ("cdr_percent", "mdr_percent", "sda_percent")
    }
    assumptions["horizon"] = horizon
    assumptions["tolerance_cdr"] = BREAKEVEN_TOLERANCE
    if args.columns:
        return _breakeven_table(args, deal, base, names, assumptions, header)
    results = [breakeven(deal, base, name) for name in names]
    if args.format == "json":
        payload = {"assumptions": assumptions, "results": breakeven_rows(results)}
        sys.stdout.write(json.dumps(payload) + "\n")
    elif args.format == "csv":
        sys.stdout.write(rows_csv(breakeven_rows(results)))
    else:
        sys.stdout.write(breakeven_text(deal.name, header, results))
    return 0


def _breakeven_table(
    args: argparse.Namespace,
    deal: Deal,
    base: Scenario,
    names: Sequence[str],
    assumptions: dict[str, Any],
    header: dict[str, Any],
) -> int:
    axis, values = _columns(args.columns)
    problems: list[str] = []
    if axis == "cdr":
        problems.append("--columns cdr=...: the breakeven is the CDR; vary another axis")
    flags = {"cpr": ("cpr", "smm", "psa"), "severity": ("severity",), "lag": ("lag",)}
    flags["libor"] = ("libor",)
    problems.extend(
        f"--{flag}: --columns {axis}=... already sets it, column by column"
        for flag in flags.get(axis, ())
        if getattr(args, flag, None) is not None
    )
    points = [_column_point(axis, value, problems) for value in values]
    if problems:
        raise UsageError("\n".join(problems))
    labels = [f"{axis} {v:g}" for v in values]
    rows: list[dict[str, Any]] = []
    for label, point in zip(labels, points, strict=True):
        scenario = scenario_for(base, point)
        results = [breakeven(deal, scenario, name) for name in names]
        rows.extend({"scenario": label, **row} for row in breakeven_rows(results))
    if args.format == "json":
        columns = [describe(deal, scenario_for(base, p)) for p in points]
        payload = {"assumptions": assumptions, "columns": columns, "results": rows}
        sys.stdout.write(json.dumps(payload) + "\n")
    elif args.format == "csv":
        sys.stdout.write(rows_csv(rows))
    else:
        varied = {"cpr": "prepayment", "lag": "recovery_lag_months"}.get(axis, axis)
        fixed = ", ".join(str(v) for k, v in header.items() if k not in ("tolerance_cdr", varied))
        lines = [
            f"{deal.name}: breakeven constant CDR by {axis}, to {BREAKEVEN_TOLERANCE} CDR; "
            + fixed,
            "",
            f"{'class':<8}" + "".join(f"{label:>12}" for label in labels),
        ]
        for name in names:
            cells = []
            for label in labels:
                row = next(r for r in rows if r["class"] == name and r["scenario"] == label)
                cdr = row["breakeven_cdr"]
                cells.append(f"{'-' if cdr is None else f'{cdr:.2f}':>12}")
            lines.append(f"{name:<8}" + "".join(cells))
        sys.stdout.write("\n".join(lines) + "\n")
    return 0


def _columns(text: str) -> tuple[str, list[float]]:
    axis, _, values = text.partition("=")
    axis = axis.strip()
    if axis not in AXES or not values:
        raise UsageError(
            f"--columns {text!r}: expected AXIS=V1,V2,... with AXIS one of " + ", ".join(AXES)
        )
    try:
        numbers = [float(v) for v in values.split(",")]
    except ValueError:
        raise UsageError(f"--columns {text!r}: the values must be numbers") from None
    return axis, numbers


def _column_point(axis: str, value: float, problems: list[str]) -> GridPoint:
    if not math.isfinite(value):
        problems.append(f"--columns {axis}={value}: expected a finite number")
        return GridPoint()
    if axis == "lag":
        if value != int(value) or not 0 <= value <= 360:
            problems.append(f"--columns lag={value:g}: expected whole months 0 to 360")
        return GridPoint(lag=int(value))
    curve, message = check_curve(axis, value)
    if curve is None:
        problems.append(f"--columns {axis}={value:g}: {message}")
    given: dict[str, Any] = {axis: value}
    return GridPoint(**given)


def _price_table(args: argparse.Namespace) -> int:
    deal = load_deal(args.deal)
    base = scenario_from_flags(args, _base_scenario(args, deal), deal)
    problems = []
    priced = [t.name for t in deal.tranches if t.kind != "residual" and t.balance > 0.0]
    if args.class_name not in priced:
        problems.append(
            f"--class {args.class_name}: not a class with a face or notional to price; "
            "choose one of " + ", ".join(priced)
        )
    try:
        prices = [float(p) for p in args.prices.split(",")]
        if not all(0.0 < p <= 1000.0 for p in prices):
            problems.append(f"--prices {args.prices}: expected prices above 0 and at most 1000")
    except ValueError:
        prices = []
        problems.append(f"--prices {args.prices!r}: expected numbers like 99,99.5,100")
    axis, values = _columns(args.columns)
    points = [_column_point(axis, value, problems) for value in values]
    if problems:
        raise UsageError("\n".join(problems))
    scenarios = [scenario_for(base, point) for point in points]
    table = price_table(deal, args.class_name, prices, scenarios)
    labels = [f"{axis} {v:g}" for v in values]
    if args.format == "json":
        columns = [describe(deal, s) for s in scenarios]
        sys.stdout.write(json.dumps(price_table_json(table, columns)) + "\n")
    elif args.format == "csv":
        sys.stdout.write(rows_csv(price_table_rows(table, labels)))
    else:
        fixed = ", ".join(
            brief(f"{name} {value}")
            for name, value in describe(deal, base).items()
            if name != axis
        )
        fixed += f", trigger {base.trigger}" + (f", {base.months} months" if base.months else "")
        if base.is_call_exercised is not None:
            fixed += ", call exercised" if base.is_call_exercised else ", call not exercised"
        tranche = deal.tranches[deal.tranche_names.index(table.class_name)]
        face = "notional" if tranche.kind == "notional" else "current face"
        heading = (
            f"{deal.name}: class {table.class_name} by price per 100 of {face}, "
            f"settling {deal.as_of}; {fixed}"
        )
        sys.stdout.write(price_table_text(table, labels, heading))
    return 0


OUT_FORMATS = {".csv": "csv", ".json": "json", ".parquet": "parquet", ".txt": "table"}


class _Progress:
    """A one-line progress bar on a terminal's stderr; off a terminal (a log, a pipe), a line
    every ``LOG_SECONDS``: scenarios done, total, rate and time left."""

    LOG_SECONDS = 5.0

    def __init__(self, is_shown: bool, *, is_logged: bool = True) -> None:
        self.is_shown = is_shown
        self.is_logged = is_logged  # off a terminal
        self.started = time.perf_counter()
        self.logged = self.started

    def __call__(self, done: int, total: int) -> None:
        if not self.is_shown:
            self._log(done, total)
            return
        width = 30
        filled = width * done // max(total, 1)
        elapsed = time.perf_counter() - self.started
        sys.stderr.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,} scenarios "
            f"{elapsed:.1f} s"
        )
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    def _log(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if not self.is_logged or now - self.logged < self.LOG_SECONDS:
            return
        self.logged = now
        rate = done / max(now - self.started, 1e-9)
        left = (total - done) / rate if rate > 0 else 0.0
        sys.stderr.write(
            f"waterfall grid: {done:,}/{total:,} scenarios, {rate:,.0f} a second, "
            f"{left:,.0f} s left\n"
        )
        sys.stderr.flush()


def _folder_problem(flag: str, path: str) -> str:
    """A one-line problem when ``path`` cannot be written as a new file, else ''."""
    target = Path(os.path.realpath(path))
    if target.is_dir():
        return f"{flag} {path}: it is a directory"
    if target.exists() and not target.is_file():
        return f"{flag} {path}: it is not a regular file"
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        return f"{flag} {path}: no folder '{folder}'"
    return ""


def _plot_problem(path: str) -> str:
    """Check that a picture can be drawn and written, before any long run."""
    try:
        ensure_plot_available()
    except PlotUnavailable as error:
        return str(error)
    return _folder_problem("--plot", path)


def _horizon_problem(metric: str | None, deal: Deal, base: Scenario) -> str | None:
    """What is wrong with asking a grid of ``deal`` from ``base`` for ``metric``: an other
    horizon's column (``yield_to_call``) it does not measure; None when nothing is."""
    if metric is None:
        return None
    measure, horizon = measured_metric(metric)
    other = other_horizon(deal, base)
    if not horizon or (other is not None and other[1] == horizon):
        return None
    if other is None:
        return f"{metric}: {deal.name} has no clean-up call, so its grids measure one horizon"
    return f"{metric}: this grid's other horizon is {other[1]}; ask for {measure}_{other[1]}"


def _grid(args: argparse.Namespace) -> int:
    deal = load_deal(args.deal)
    spec = load_grid(args.scenarios)
    base = _base_scenario(args, deal)
    if spec.is_advancing is not None:
        base = dataclasses.replace(base, is_advancing=spec.is_advancing)
    if args.trigger is not None:
        base = dataclasses.replace(base, trigger=args.trigger)
    problems = []
    suffix_format = OUT_FORMATS.get(Path(args.out).suffix.lower()) if args.out else None
    if args.out and suffix_format is None:
        problems.append(
            f"--out {args.out}: name it .csv, .json, .parquet or .txt (the suffix is the format)"
        )
    elif args.format and suffix_format and args.format != suffix_format:
        problems.append(
            f"--format {args.format}: --out {args.out} is a {suffix_format} file by its suffix"
        )
    out_format = args.format or suffix_format or "table"
    if out_format == "parquet" and not args.out:
        problems.append("--format parquet: give --out FILE.parquet (Parquet is not text)")
    if args.block_size < 1:
        problems.append(f"--block-size {args.block_size}: expected at least 1")
    if args.plot:
        problem = _plot_problem(args.plot)
        if problem:
            problems.append(problem)
    if args.out:
        problem = _folder_problem("--out", args.out)
        if problem:
            problems.append(problem)
    is_streamed = (
        out_format in ("csv", "parquet")
        and bool(args.out)
        and not args.scheduler
        and not args.plot
    )
    if args.resume and not (is_streamed and out_format == "csv"):
        problems.append("--resume: finishes a grid written to --out FILE.csv, without --plot")
    horizon_problem = _horizon_problem(args.metric, deal, base)
    if horizon_problem:
        problems.append(f"--metric {horizon_problem}")
    if problems:
        raise UsageError("\n".join(problems))
    priceable = {t.name for t in deal.tranches if t.kind != "residual" and t.balance > 0.0}
    unknown = [
        Problem(spec.source, line, 1, f"price.{name}", f"no class {name} to price in {deal.name}")
        for name, _, line in spec.class_prices
        if name not in priceable
    ]
    groups = [g.name for g in deal.groups]
    unknown += [
        problem
        for value in curve_axis_values(spec.points)
        if isinstance(value, Curve)
        for problem in check_curve_groups(value, groups, deal.name, spec.source)
    ]
    horizon_problem = None if args.metric else _horizon_problem(spec.metric, deal, base)
    if horizon_problem:
        unknown.append(Problem(spec.source, 0, 0, "metric", horizon_problem))
    if unknown:
        raise GridFileError(unknown)
    by_class = {name: value for name, value, _ in spec.class_prices}
    metric = args.metric or spec.metric
    n_blocks = -(-len(spec.points) // args.block_size)
    progress = _Progress(sys.stderr.isatty() and n_blocks > 1, is_logged=n_blocks > 1)
    if is_streamed and out_format == "parquet":
        try:
            stream_grid_parquet(
                deal,
                base,
                spec.points,
                output_target(Path(args.out)),
                spec.price,
                by_class=by_class,
                block_size=args.block_size,
                progress=progress,
            )
        except ImportError:
            raise UsageError(
                "--format parquet needs pyarrow: pip install 'rmbs-waterfall[parquet]'"
            ) from None
        except KeyboardInterrupt:
            sys.stderr.write(
                f"waterfall grid: the blocks done are in {partial_path(Path(args.out))} "
                "(Parquet has no --resume: a CSV output does)\n"
            )
            raise
        except OSError as error:
            raise UsageError(f"cannot write '{args.out}': {error.strerror}") from None
        return 0
    if is_streamed:
        target = output_target(Path(args.out))
        try:
            stream_grid_csv(
                deal,
                base,
                spec.points,
                target,
                spec.price,
                by_class=by_class,
                block_size=args.block_size,
                resume=args.resume,
                progress=progress,
            )
        except ResumeError as error:
            raise UsageError(str(error)) from None
        except KeyboardInterrupt:
            sys.stderr.write(
                f"waterfall grid: the blocks done are in {partial_path(target)}; run the same "
                "command with --resume to finish\n"
            )
            raise
        except OSError as error:
            raise UsageError(f"cannot write '{args.out}': {error.strerror}") from None
        return 0

    def measured(base: Scenario, progress: Callable[[int, int], None] | None) -> GridResult:
        # with the call the other way beside it (to call beside to maturity), from the same
        # projections
        if args.scheduler:
            try:
                return run_grid_on_cluster(
                    deal,
                    base,
                    spec.points,
                    spec.price,
                    args.scheduler,
                    by_class=by_class,
                    block_size=args.block_size,
                    progress=progress,
                    with_other_horizon=True,
                )
            except ClusterUnavailable as error:
                raise UsageError(str(error)) from None
        return run_grid(
            deal,
            base,
            spec.points,
            spec.price,
            by_class=by_class,
            block_size=args.block_size,
            progress=progress,
            with_other_horizon=True,
        )

    result = measured(base, progress)
    if out_format == "parquet":
        try:
            write_parquet_atomically(result, Path(args.out))
        except ImportError:
            raise UsageError(
                "--format parquet needs pyarrow: pip install 'rmbs-waterfall[parquet]'"
            ) from None
    else:
        text = {"csv": grid_csv, "json": grid_json}.get(out_format)
        output = text(result) if text else grid_pivot(result, metric)
        if args.out:
            write_atomically(Path(args.out), output)
        else:
            sys.stdout.write(output if output.endswith("\n") else output + "\n")
    if args.plot:
        try:
            plot_grid(result.rows(), metric, args.plot, title=f"{deal.name}: {spec.name}")
        except (ValueError, OSError) as error:
            raise UsageError(f"--plot {args.plot}: {error}") from None
    return 0


def write_parquet_atomically(result: GridResult, path: Path) -> None:
    """Write Parquet through a temporary file, so no half-written file is left."""
    path = output_target(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write_parquet(result, str(temporary))
        os.replace(temporary, path)
    except OSError as error:
        raise UsageError(f"cannot write '{path}': {error.strerror}") from None
    finally:
        temporary.unlink(missing_ok=True)


def _calibrate(args: argparse.Namespace) -> int:
    from waterfall.statement.calibrate import (
        calibrate,
        calibrated_deal_text,
        observed_scenario_text,
    )
    from waterfall.statement.read import parse_statement

    problems = [
        f"--{flag.replace('_', '-')} {value:g}: expected a percentage from 0 to 100"
        for flag, value in (("roll_60_89", args.roll_60_89), ("roll_90_plus", args.roll_90_plus))
        if not 0.0 <= value <= 100.0
    ]
    if not 0 <= args.lag <= 360:
        problems.append(f"--lag {args.lag}: expected 0 to 360 months")
    if problems:
        raise UsageError("\n".join(problems))
    deal = load_deal(args.deal)
    statement_text = _read_text(args.statement)
    statement = parse_statement(statement_text, args.statement)
    calibration = calibrate(
        deal,
        statement,
        statement_text,
        args.statement,
        roll_60_89=args.roll_60_89 / 100.0,
        roll_90_plus=args.roll_90_plus / 100.0,
        lag=args.lag,
    )
    scenario_path = Path(
        args.scenario_out
        or deal.default_scenario
        or Path(args.deal).resolve().parent.parent
        / "scenarios"
        / f"{calibration.distribution_date[:7]}-observed.yaml"
    )
    figures = [
        {"name": f.name, "value": f.value, "unit": f.unit, "source": f.source,
         "formula": f.formula}
        for f in calibration.figures
    ]  # fmt: skip
    if args.format == "json":
        sys.stdout.write(json.dumps({"figures": figures}) + "\n")
    elif args.format == "csv":
        sys.stdout.write(rows_csv(figures))
    else:
        sys.stdout.write(f"{'figure':<36} {'value':>20}  source\n")
        for f in calibration.figures:
            sys.stdout.write(f"{f.name:<36} {f.formatted():>20}  {f.source}\n")
            if f.formula:
                sys.stdout.write(f"{'':<38}= {f.formula}\n")
    if args.dry_run:
        return 0
    if output_target(scenario_path) == output_target(Path(args.deal)):
        raise UsageError(f"--scenario-out {scenario_path}: that is the deal file itself")
    deal_text = calibrated_deal_text(deal, _read_text(args.deal), calibration, scenario_path)
    scenario_text = observed_scenario_text(calibration, deal.name, args.lag, args.default_method)
    write_atomically(scenario_path, scenario_text)
    write_atomically(Path(args.deal), deal_text)
    load_deal(args.deal)  # the rewritten deal must still load
    if args.format == "table":
        sys.stdout.write(f"wrote {scenario_path} and the calibration section of {args.deal}\n")
    return 0


def _read_text(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or "not UTF-8 text"
        raise InputFileError(
            [Problem(path, 0, 0, "", f"cannot read the file: {reason}")]
        ) from None


def _validate(args: argparse.Namespace) -> int:
    failed = False
    report = []
    for path in args.deals:
        try:
            deal = load_deal(path)
            if deal.default_scenario:
                scenario = load_scenario(deal.default_scenario)
                names = [g.name for g in deal.groups]
                problems = check_groups(scenario, names, deal.name)
                if problems:
                    raise ScenarioFileError(problems)
        except InputFileError as error:
            failed = True
            for problem in error.problems:
                sys.stderr.write(f"{problem}\n")
            report.append(
                {"file": path, "ok": False, "problems": [str(p) for p in error.problems]}
            )
            continue
        sources = {s: sum(1 for p in deal.provenance if p.source == s) for s in SOURCES}
        report.append(
            {
                "file": path,
                "ok": True,
                "tranches": len(deal.tranches),
                "groups": len(deal.groups),
                "steps": len(deal.waterfall),
                "sources": sources,
            }
        )
        if args.format == "table":
            counts = ", ".join(f"{n} {s}" for s, n in sources.items())
            sys.stdout.write(
                f"{path}: ok: {_count(len(deal.tranches), 'tranche')}, "
                f"{_count(len(deal.groups), 'loan group')}, "
                f"{_count(len(deal.waterfall), 'step')}; items by source: {counts}\n"
            )
    if args.format == "json":
        sys.stdout.write(json.dumps({"deals": report}) + "\n")
    return EXIT_BAD_FILE if failed else 0


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def output_target(path: Path) -> Path:
    """The file an output flag really writes: a symbolic link's target; refuses a folder or
    anything that is not a regular file (a device, a pipe), with a one-line UsageError."""
    target = Path(os.path.realpath(path))
    if target.is_dir():
        raise UsageError(f"cannot write '{path}': it is a directory")
    if target.exists() and not target.is_file():
        raise UsageError(f"cannot write '{path}': it is not a regular file")
    return target


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file, so no half-written file is left.

    A link is followed (the link stays), and an existing file keeps its permissions.
    """
    target = output_target(path)
    temporary = ""
    try:
        with tempfile.NamedTemporaryFile(
            "w", dir=target.parent, delete=False, suffix=".tmp", encoding="utf-8"
        ) as handle:
            temporary = handle.name
            handle.write(text)
        if target.exists():
            mode = target.stat().st_mode & 0o777
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask  # an ordinary new file, not the temp file's 0600
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except OSError as error:
        if temporary:
            Path(temporary).unlink(missing_ok=True)
        raise UsageError(f"cannot write '{path}': {error.strerror}") from None
