"""Count the machine instructions our grid kernel and the floor probe execute per scenario.

    python benchmarks/count_instructions.py [--keep DIR]

valgrind's callgrind counts every instruction a process executes. A count does not change
with the machine's load, so on a shared machine it compares code where timings cannot. It
is not a time: an instruction can take a fraction of a cycle or many.

Each side runs the same grid in two processes under callgrind, one with 1 call of its grid
kernel and one with 3, after a warm-up call. The difference of the two counts, halved, is
one call; per scenario is that over the number of scenarios. Ours is `_run_block` with the
call both ways, as the CLI grid (numba's kernel, the scratch zeroing and the Python
around them); the floor's is `Grid.run` with metrics.

valgrind cannot run AVX-512 instructions, so both sides are compiled without them (numba's
`NUMBA_CPU_FEATURES`), into caches of their own in a temporary folder (or `--keep DIR`):
compiling takes about 2 minutes, the four valgrind runs about 5. Needs `valgrind` and
`objdump` on the PATH, and the floor probe beside the repository
(`../shared/tools/floor_probe_2002he1.py`).

For our kernel it also gives each compiled function's share, from the cached object code's
symbol table, and the instruction mix of `run_months`, the month loop.

With `--by-line` it builds our kernel a third time with numba's debug information
(`NUMBA_DEBUGINFO=1`, a cache of its own) and runs it under callgrind again, to give the
month loop's instructions by the source function and line they come from (objdump's line
table): the inlined steps of the month, which the symbol table cannot tell apart. numba
keeps a few small helpers out of line in that build (`cents`, `sum_in_order`, ...), so its
month loop counts somewhat more than the plain build's; the helpers are listed on their own.
"""

from __future__ import annotations

import argparse
import ast
import collections
import functools
import os
import pickle
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import NamedTuple

import llvmlite.binding as llvm

from waterfall._jit import elf_symbols

ROOT = Path(__file__).resolve().parents[1]
PROBE = ROOT.parent / "shared" / "tools" / "floor_probe_2002he1.py"
DEAL = ROOT / "deals" / "2002-HE1.yaml"

# the probe grid's ranges (benchmarks/measure.py), fewer points on each axis
CPRS = [2.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 85.0, 99.0]
CDRS = [0.0, 5.0, 10.0, 17.5, 25.0]
SEVERITIES = [35.0, 50.0, 70.0, 90.0]

OURS = """
import pickle, sys, numba
from waterfall import load_deal
from waterfall.grid import load_grid
from waterfall.grid.run import _prepare, _run_block
from waterfall.kernels import grid
from waterfall.scenario import load_scenario
calls, grid_file, symbols_file = int(sys.argv[1]), sys.argv[2], sys.argv[3]
numba.set_num_threads(1)
deal = load_deal({deal!r})
base = load_scenario(deal.default_scenario)
points = load_grid(grid_file).points
prep = _prepare(deal, base, points, with_other_horizon=True)
_run_block(prep, deal, base, slice(0, len(points)))
for _ in range(calls):
    _run_block(prep, deal, base, slice(0, len(points)))
# where the grid kernel's object code sits in this process, and that object code
signature, compiled = next(iter(grid.run_range.overloads.items()))
cache = grid.run_range._cache
data = cache._cache_file.load(cache._index_key(signature, compiled.library.codegen))
def elf(value):
    if isinstance(value, bytes) and value[:4] == b"\\x7fELF":
        return value
    for item in value if isinstance(value, (tuple, list)) else ():
        found = elf(item)
        if found is not None:
            return found
    return None
entry = compiled.library.get_pointer_to_function(compiled.fndesc.llvm_func_name)
with open(symbols_file, "wb") as out:
    pickle.dump((compiled.fndesc.llvm_func_name, entry, elf(data), len(points)), out)
"""

FLOOR = """
import sys
sys.path.insert(0, {tools!r})
import numpy as np, numba
import floor_probe_2002he1 as probe
calls = int(sys.argv[1])
numba.set_num_threads(1)
grid = probe.Grid(np.array({cprs!r}), np.array({cdrs!r}), np.array({sevs!r}), 12)
grid.run(1, metrics=True)
for _ in range(calls):
    grid.run(1, metrics=True)
"""


def features_without_avx512() -> str:
    """The host's CPU features for LLVM, less AVX-512 (which valgrind cannot run)."""
    features = llvm.get_host_cpu_features()
    return ",".join(
        ("-" if name.startswith(("avx512", "evex512", "avx10", "amx")) or not on else "+") + name
        for name, on in sorted(features.items())
    )


def elf_functions(object_code: bytes) -> dict[str, tuple[int, int]]:
    """Each defined function of numba's object code: its (offset, size) in the one code
    section numba's objects have."""
    return {
        symbol.name: (symbol.value, symbol.size)
        for symbol in elf_symbols(object_code)
        if symbol.kind == 2 and symbol.section != 0  # STT_FUNC, defined
    }


class Callgrind(NamedTuple):
    """What a callgrind file (written with ``--dump-instr=yes``) says, read in one pass."""

    by_address: collections.Counter[int]  # each address's own executed instructions
    compiled: int  # the own instructions of code no file holds: numba's compiled code
    total: int | None  # the whole process's (its "summary:" or "totals:" line)


def read_callgrind(path: Path) -> Callgrind:
    """Read ``path``: positions "instr line", compressed (absolute, relative +/-, or * for
    the same); object names given once, then by number, and callgrind's object "???" is
    code no file holds. A call's inclusive cost, the line after ``calls=``, is not the
    caller's own and is skipped."""
    by_address: collections.Counter[int] = collections.Counter()
    compiled = 0
    total = None
    names: dict[str, str] = {}
    current = ""
    address = 0
    after_call = False
    for line in path.read_text().splitlines():
        if line.startswith(("ob=", "cob=")):
            named = re.match(r"(c?ob)=\((\d+)\)(?: (.*))?$", line)
            if named:
                if named.group(3) is not None:
                    names[named.group(2)] = named.group(3)
                if named.group(1) == "ob":
                    current = names.get(named.group(2), "")
            continue
        if line.startswith("calls="):
            after_call = True
            continue
        if line.startswith(("summary:", "totals:")):
            total = int(line.split()[1])
            continue
        if not line or line[0] not in "0123456789+-*":
            continue
        fields = line.split()
        position = fields[0]
        if position.startswith("0x"):
            address = int(position, 16)
        elif position[0] in "+-":
            address += int(position)
        elif position != "*":
            address = int(position)
        if after_call:
            after_call = False
        elif len(fields) > 2:
            count = int(fields[2])
            by_address[address] += count
            if current == "???":
                compiled += count
    return Callgrind(by_address, compiled, total)


def short_name(mangled: str) -> str:
    """``waterfall.kernels.payments.run_months`` from numba's mangled name."""
    parts = []
    at = mangled.find("N") + 1 if mangled.startswith("_ZN") else 0
    while at and at < len(mangled) and mangled[at].isdigit():
        digits = re.match(r"\d+", mangled[at:])
        assert digits is not None
        length = int(digits.group())
        at += len(digits.group())
        parts.append(mangled[at : at + length])
        at += length
    return ".".join(part for part in parts if part != "cpython") or mangled[:60]


def callgrind(command: list[str], out: Path, env: dict[str, str]) -> None:
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--dump-instr=yes", f"--callgrind-out-file={out}",
         *command],
        env=env, cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"valgrind {' '.join(command)} failed:\n{done.stderr[-2000:]}")


def by_function(
    counts: collections.Counter[int], symbols: Path
) -> collections.Counter[tuple[str, int]]:
    """Counts keyed by (function, offset in it), for our kernel's functions only."""
    entry_name, entry, object_code, _ = pickle.loads(symbols.read_bytes())
    functions = elf_functions(object_code)
    section_at = entry - functions[entry_name][0]
    keyed: collections.Counter[tuple[str, int]] = collections.Counter()
    for name, (offset, size) in functions.items():
        for at in range(section_at + offset, section_at + offset + size):
            if at in counts:
                keyed[name, at - section_at - offset] += counts[at]
    return keyed


def mix(
    object_code: bytes, name: str, keyed: collections.Counter[tuple[str, int]], work: Path
) -> dict[str, int]:
    """Executed instructions of one function by kind, from objdump's disassembly."""
    functions = elf_functions(object_code)
    start, size = functions[name]
    path = work / "kernel.o"
    path.write_bytes(object_code)
    listing = subprocess.run(
        ["objdump", "-d", "-M", "intel", "--no-show-raw-insn",
         f"--start-address={start}", f"--stop-address={start + size}", str(path)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    kinds: collections.Counter[str] = collections.Counter()
    for line in listing.splitlines():
        found = re.match(r"\s+([0-9a-f]+):\s+(\S+)\s*([^<#]*)", line)
        if not found:
            continue
        executed = keyed.get((name, int(found.group(1), 16) - start), 0)
        opcode, operands = found.group(2), found.group(3)
        destination, _, source = operands.partition(",")
        if opcode.startswith("j") or opcode in ("cmp", "test", "call", "ret"):
            kind = "compares and branches"
        elif "[rsp" in destination:
            kind = "stores to the stack"
        elif "[rsp" in source:
            kind = "loads from the stack"
        elif opcode.startswith("v"):
            kind = "floating point"
        else:
            kind = "other integer and memory"
        kinds[kind] += executed
    return dict(kinds)


def line_table(listing: str) -> dict[int, tuple[str, int]]:
    """Each instruction's address and its source (file, line), from ``objdump -d -l``: a line
    ``/path/file.py:123`` names the source of the instructions that follow it."""
    table: dict[int, tuple[str, int]] = {}
    source = ("", 0)
    for line in listing.splitlines():
        named = re.match(r"^(/\S+\.py):(\d+)", line)
        if named:
            source = (named.group(1), int(named.group(2)))
            continue
        found = re.match(r"^\s+([0-9a-f]+):\s", line)
        if found:
            table[int(found.group(1), 16)] = source
    return table


@functools.cache
def _source_lines(path: str) -> tuple[str, ...]:
    """The lines of ``path`` (none when it cannot be read), stripped."""
    try:
        return tuple(line.strip() for line in Path(path).read_text().splitlines())
    except OSError:
        return ()


@functools.cache
def _function_spans(path: str) -> tuple[tuple[int, int, str], ...]:
    """(first line, last line, name) of each top-level function of ``path``."""
    try:
        tree = ast.parse(Path(path).read_text())
    except (OSError, SyntaxError):
        return ()
    return tuple(
        (node.lineno, node.end_lineno or node.lineno, node.name)
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
    )


def enclosing_function(path: str, line: int) -> str:
    """The top-level function of ``path`` that holds ``line`` (``file:line`` outside one)."""
    for first, last, name in _function_spans(path):
        if first <= line <= last:
            return f"{Path(path).name}: {name}"
    return f"{Path(path).name}:{line}"


def by_source(
    object_code: bytes, name: str, keyed: collections.Counter[tuple[str, int]], work: Path
) -> tuple[collections.Counter[str], collections.Counter[str]]:
    """One function's executed instructions by the source function and by the source line
    (``file:line  text``) they were compiled from."""
    start, size = elf_functions(object_code)[name]
    path = work / "kernel-debug.o"
    path.write_bytes(object_code)
    listing = subprocess.run(
        ["objdump", "-d", "-l", "--no-show-raw-insn", f"--start-address={start}",
         f"--stop-address={start + size}", str(path)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    functions: collections.Counter[str] = collections.Counter()
    lines: collections.Counter[str] = collections.Counter()
    for address, (source, line) in line_table(listing).items():
        executed = keyed.get((name, address - start), 0)
        if not executed:
            continue
        if not source:
            functions["(no line)"] += executed
            lines["(no line)"] += executed
            continue
        functions[enclosing_function(source, line)] += executed
        text = _source_lines(source)
        lines[f"{Path(source).name}:{line}  {text[line - 1] if line <= len(text) else ''}"] += (
            executed
        )
    return functions, lines


def one_call_counts(
    work: Path, stem: str, files: dict[int, Callgrind]
) -> tuple[collections.Counter[tuple[str, int]], bytes, int]:
    """Our kernel's counts by (function, offset) for the 2 calls that 3 calls add to 1, from
    ``files`` (callgrind's, by calls) and ``symbols{stem}.N``; its object code; its number
    of scenarios."""
    keyed = {
        calls: by_function(files[calls].by_address, work / f"symbols{stem}.{calls}")
        for calls in (1, 3)
    }
    one_call = keyed[3].copy()
    one_call.subtract(keyed[1])
    _, _, object_code, n = pickle.loads((work / f"symbols{stem}.3").read_bytes())
    return one_call, object_code, n


def report_by_line(work: Path) -> list[str]:
    """The Markdown lines of the month loop by source, from the debug-info build's files."""
    files = {calls: read_callgrind(work / f"ours-debug.{calls}") for calls in (1, 3)}
    one_call, object_code, _ = one_call_counts(work, "-debug", files)
    month_loop, months, totals = month_loop_of(one_call)
    functions, lines = by_source(object_code, month_loop, one_call, work)
    out = [
        "",
        f"By source, the debug-information build: `run_months` "
        f"{totals[month_loop] / months:,.0f} instructions a month (its own code, inlined "
        "steps included):",
        "",
        "| source function | instructions a month | share |",
        "|---|---:|---:|",
    ]
    for function, count in functions.most_common():
        out.append(f"| {function} | {count / months:,.0f} | {count / totals[month_loop]:.0%} |")
    out += ["", "Out of line in this build (a month's worth, all callers):", ""]
    for name, count in totals.most_common():
        if (
            name != month_loop
            and short_name(name).startswith(("waterfall.kernels.payments.", "numba."))
            and count >= months  # at least one a month
        ):
            out.append(f"- `{short_name(name)}`: {count / months:,.0f}")
    out += ["", "`run_months`' costliest source lines (instructions a month):", ""]
    for line, count in lines.most_common(15):
        out.append(f"- {count / months:,.0f}: `{line}`")
    return out


def month_loop_of(
    one_call: collections.Counter[tuple[str, int]],
) -> tuple[str, int, collections.Counter[str]]:
    """``run_months``' name, its month count and every function's total in ``one_call``.
    The month count: run_months' once-a-month code is most of its instructions, and each of
    those ran once a month (so the most common count among them)."""
    totals: collections.Counter[str] = collections.Counter()
    for (name, _), count in one_call.items():
        totals[name] += count
    month_loop = next(name for name in totals if short_name(name).endswith(".run_months"))
    month_counts = collections.Counter(
        count for (name, _), count in one_call.items() if name == month_loop and count > 0
    )
    return month_loop, month_counts.most_common(1)[0][0], totals


def report(
    n: int,
    ours: tuple[float, float],
    floor: tuple[float, float],
    one_call: collections.Counter[tuple[str, int]],
    object_code: bytes,
    work: Path,
) -> list[str]:
    """The Markdown lines: per scenario, per compiled function, and the month loop's mix.
    ``ours`` and ``floor`` are (compiled code, whole process) instructions a scenario; the
    floor's whole process is not shown (its Python around the kernel is small, and the
    process's count varies by more than that)."""
    floor_scenario = floor[0]
    ours_compiled, ours_whole = ours
    lines = [
        f"{n} scenarios (lag 12), 1 thread; instructions a scenario, from one call's share",
        "",
        "| what | instructions a scenario | against the floor |",
        "|---|---:|---:|",
        f"| floor probe, `Grid.run` with metrics: compiled code | {floor_scenario:,.0f} | 1 |",
        f"| ours, `_run_block` with the call both ways: compiled code | {ours_compiled:,.0f} | "
        f"{ours_compiled / floor_scenario:.2f}x |",
        "| ours, whole call (its Python and scratch zeroing too, where callgrind counts "
        "each byte of memset's `rep stosb` fill; varies by about 2%) | "
        f"{ours_whole:,.0f} | {ours_whole / floor_scenario:.2f}x |",
    ]
    month_loop, months, totals = month_loop_of(one_call)
    for name, count in totals.most_common(8):
        share = count / 2 / n
        lines.append(
            f"| ours: `{short_name(name)}` | {share:,.0f} | {share / floor_scenario:.2f}x |"
        )
    lines += [
        "",
        f"`run_months`: {months / 2 / n:.0f} months a scenario (the count most of its "
        f"instructions share), {totals[month_loop] / months:,.0f} instructions a month. The "
        f"floor's whole scenario: {floor_scenario / 341:,.0f} a month of 341.",
    ]
    kinds = mix(object_code, month_loop, one_call, work)
    for kind, count in sorted(kinds.items(), key=lambda item: -item[1]):
        lines.append(f"- {kind}: {count / months:,.0f} a month ({count / totals[month_loop]:.0%})")
    return lines


def summarize(work: Path) -> list[str]:
    """The report from the callgrind files of 1 and 3 calls a side in ``work``."""
    ours_files, ours, floor = {}, {}, {}
    for calls in (1, 3):
        ours_file = read_callgrind(work / f"ours.{calls}")
        floor_file = read_callgrind(work / f"floor.{calls}")
        if ours_file.total is None or floor_file.total is None:
            raise RuntimeError(f"{work}: a callgrind file of {calls} call(s) has no totals")
        ours_files[calls] = ours_file
        ours[calls] = (ours_file.compiled, ours_file.total)
        floor[calls] = (floor_file.compiled, floor_file.total)
    one_call, object_code, n = one_call_counts(work, "", ours_files)

    def per_scenario(counts: dict[int, tuple[int, int]]) -> tuple[float, float]:
        return (
            (counts[3][0] - counts[1][0]) / 2 / n,
            (counts[3][1] - counts[1][1]) / 2 / n,
        )

    return report(n, per_scenario(ours), per_scenario(floor), one_call, object_code, work)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", help="keep the callgrind files in this folder")
    parser.add_argument(
        "--by-line", action="store_true",
        help="also count the month loop by source line (a debug-information build)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    for tool in ("valgrind", "objdump"):
        if shutil.which(tool) is None:
            sys.stderr.write(f"count_instructions: {tool} is not on the PATH\n")
            return 2
    if not PROBE.is_file():
        sys.stderr.write(f"count_instructions: the floor probe {PROBE} is absent\n")
        return 2
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="count-"))
    work.mkdir(parents=True, exist_ok=True)
    grid = work / "grid.yaml"
    grid.write_text(f"name: count\ncpr: {CPRS}\ncdr: {CDRS}\nseverity: {SEVERITIES}\nlag: [12]\n")
    env = dict(
        os.environ,
        # named, not detected: under valgrind the detected CPU could differ from the cache's
        NUMBA_CPU_NAME=llvm.get_host_cpu_name(),
        NUMBA_CPU_FEATURES=features_without_avx512(),
        WATERFALL_CACHE_DIR=str(work / "ours-cache"),
        NUMBA_CACHE_DIR=str(work / "floor-cache"),
        NUMBA_NUM_THREADS="1",
        # OpenBLAS's idle threads spin, and their instructions would count
        OPENBLAS_NUM_THREADS="1",
        OMP_NUM_THREADS="1",
    )
    ours = [sys.executable, "-c", OURS.format(deal=str(DEAL))]
    floor = [
        sys.executable, "-c",
        FLOOR.format(tools=str(PROBE.parent), cprs=CPRS, cdrs=CDRS, sevs=SEVERITIES),
    ]  # fmt: skip

    def count_ours(environment: dict[str, str], stem: str) -> None:
        """Compile ours (a run of 0 calls), then count 1 and 3 calls under callgrind into
        ``ours{stem}.N``, with the object code's place in ``symbols{stem}.N``."""
        subprocess.run(
            [*ours, "0", str(grid), str(work / f"symbols{stem}.0")], env=environment, cwd=ROOT,
            check=True,
        )  # fmt: skip
        for calls in (1, 3):
            symbols = work / f"symbols{stem}.{calls}"
            callgrind(
                [*ours, str(calls), str(grid), str(symbols)], work / f"ours{stem}.{calls}",
                environment,
            )  # fmt: skip

    sys.stderr.write("compiling our kernel without AVX-512, then callgrind (minutes)...\n")
    count_ours(env, "")
    sys.stderr.write("the floor probe: compiling, then callgrind...\n")
    subprocess.run([*floor, "0"], env=env, cwd=ROOT, check=True)
    for calls in (1, 3):
        callgrind([*floor, str(calls)], work / f"floor.{calls}", env)
    report_lines = summarize(work)
    if args.by_line:
        sys.stderr.write("compiling ours with debug information, then callgrind...\n")
        debug = dict(env, NUMBA_DEBUGINFO="1", WATERFALL_CACHE_DIR=str(work / "ours-debug-cache"))
        count_ours(debug, "-debug")
        report_lines += report_by_line(work)
    sys.stdout.write("\n".join(report_lines) + "\n")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
