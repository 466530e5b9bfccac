"""What a warm start skips, and that skipping it loses nothing."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from waterfall import _jit

REPO = Path(__file__).resolve().parents[2]
DEAL = "deals/2002-HE1.yaml"


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=False
    )


def test_kernels_run_without_importing_scipy_linalg_which_still_imports_after() -> None:
    done = _python(
        "import sys\n"
        "from waterfall import load_deal\n"
        "from waterfall.engine import run\n"
        "from waterfall.scenario import load_scenario\n"
        f"deal = load_deal({DEAL!r})\n"
        "run(deal, load_scenario(deal.default_scenario))\n"
        "print('scipy.linalg' in sys.modules)\n"
        "import scipy.linalg\n"
        "from scipy.optimize import brentq\n"
        "print(round(brentq(lambda x: x * x - 2.0, 0.0, 2.0), 6))\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "1.414214"]


def test_the_command_exits_quickly_with_all_its_output_and_its_code() -> None:
    console = "from waterfall.cli import console_main; console_main()"  # the installed command
    command = [sys.executable, "-c", console, "run", DEAL, "--cpr", "30", "--format", "json"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["classes"]  # the whole document came out before the exit
    bad = subprocess.run(
        [sys.executable, "-c", console, "run", "no-such-deal.yaml"],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert bad.returncode == 1
    assert bad.stderr.startswith("no-such-deal.yaml:0:0: cannot read the file")


def test_a_run_leaves_the_statement_reader_unloaded_until_a_name_of_it_is_used() -> None:
    done = _python(
        "import sys\n"
        "from waterfall.cli import main\n"
        f"assert main(['run', {DEAL!r}, '--format', 'json']) == 0\n"
        "sys.stdout.flush()\n"
        "print('waterfall.statement.read' in sys.modules, file=sys.stderr)\n"
        "from waterfall.statement import Statement, parse_statement\n"
        "print(Statement.__module__, parse_statement.__name__, file=sys.stderr)\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.split()[-3:] == ["False", "waterfall.statement.read", "parse_statement"]


WARM_RUN = f"""
import sys
import tempfile
from pathlib import Path
import numba.core.base
refreshes = []
stock = numba.core.base.BaseContext.refresh
def counted(self):
    refreshes.append(1)
    return stock(self)
numba.core.base.BaseContext.refresh = counted
from waterfall.cli import main
folder = Path(tempfile.mkdtemp())
(folder / "one.yaml").write_text("cpr: [30]\\ncdr: [5]\\n")
assert main(["run", {DEAL!r}, "--format", "json"]) == 0
assert main(["grid", {DEAL!r}, "--scenarios", str(folder / "one.yaml"),
             "--out", str(folder / "one.csv")]) == 0
print(len(refreshes), file=sys.stderr)
print("numba.np.arraymath" in sys.modules, file=sys.stderr)  # a kernel's ``.sum()`` loads it
import numba
import numpy as np
@numba.njit
def user_function(n):  # compiled after the kernels' loads, with numba's runtime (an array)
    return np.arange(n).sum()
print(user_function(10), file=sys.stderr)
"""


@pytest.mark.skipif(os.environ.get("NUMBA_DISABLE_JIT") == "1", reason="compiled kernels only")
def test_a_warm_run_loads_its_kernels_without_numbas_refresh_and_numba_still_compiles() -> None:
    # the refresh imports and installs every implementation numba has: 80-90 ms of a warm
    # run of 0.47-0.50 s, for code already compiled
    _python(WARM_RUN)  # fills the kernel cache if it is empty
    done = _python(WARM_RUN)
    assert done.returncode == 0, done.stderr
    assert done.stderr.split()[-3:] == ["0", "False", "45"]


FINDER = """
import threading
from waterfall import _jit
seen = []
def other_thread():
    try:
        import scipy.linalg
        seen.append("imported")
    except ImportError:
        seen.append("refused")
with _jit._scipy_linalg_refused():
    try:
        import scipy.linalg
        print("imported")
    except ImportError:
        print("refused")
    worker = threading.Thread(target=other_thread)
    worker.start()
    worker.join()
print(seen[0])
"""


def test_scipy_linalg_is_refused_only_to_the_thread_loading_numbas_array_maths() -> None:
    # a grid's threads load kernels while the caller's thread may import scipy (its solvers)
    done = _python(FINDER)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["refused", "imported"]


SUMMING_KERNEL = """
from waterfall._jit import kernel
@kernel
def total(values):
    return values.sum()
"""

CALL_SUMMING_KERNEL = """
import sys
import numpy as np
from summing import total
print(total(np.ones(3)), "numba.np.arraymath" in sys.modules, "scipy.linalg" in sys.modules)
"""


@pytest.mark.skipif(os.environ.get("NUMBA_DISABLE_JIT") == "1", reason="compiled kernels only")
def test_a_kernel_calling_numbas_array_maths_loads_it_without_scipy_linalg(
    tmp_path: Path,
) -> None:
    # numba's array maths asks whether scipy.linalg's BLAS imports (0.17-0.28 s) when it loads
    (tmp_path / "summing.py").write_text(SUMMING_KERNEL)
    environment = {
        **os.environ,
        "WATERFALL_CACHE_DIR": str(tmp_path / "cache"),
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO)]),
    }

    def call() -> list[str]:
        done = subprocess.run(
            [sys.executable, "-c", CALL_SUMMING_KERNEL], env=environment, capture_output=True,
            text=True, cwd=tmp_path, check=True,
        )  # fmt: skip
        return done.stdout.split()

    assert call() == ["3.0", "True", "False"]  # compiled
    assert call() == ["3.0", "True", "False"]  # loaded from the cache


LOOKED_UP = """
import sys
from importlib import metadata
stock = metadata.entry_points
def announced(*args, **kwargs):
    sys.stderr.write("entry points looked up\\n")
    sys.stderr.flush()
    return stock(*args, **kwargs)
metadata.entry_points = announced
"""


@pytest.mark.skipif(os.environ.get("NUMBA_DISABLE_JIT") == "1", reason="compiled kernels only")
def test_the_command_leaves_numbas_extensions_unread_and_a_library_user_keeps_them() -> None:
    # numba reads every installed package's entry points before its first dispatch: 27 ms
    # of a warm start with 95 packages installed; the command compiles only our kernels
    command = f"{LOOKED_UP}from waterfall.cli import console_main\nconsole_main()"
    done = subprocess.run(
        [sys.executable, "-c", command, "run", DEAL, "--format", "json"],
        capture_output=True, text=True, cwd=REPO, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "entry points looked up" not in done.stderr
    assert json.loads(done.stdout)
    library = _python(
        f"{LOOKED_UP}from waterfall import load_deal, load_scenario, run\n"
        f"deal = load_deal({DEAL!r})\n"
        "run(deal, load_scenario(deal.default_scenario))\n"
    )
    assert library.returncode == 0, library.stderr
    assert "entry points looked up" in library.stderr


LAZY_LINKING = """
import sys
import llvmlite.binding
import numba
parsed = []
stock = llvmlite.binding.parse_bitcode
def counted(data, *args, **kwargs):
    parsed.append(len(data))
    return stock(data, *args, **kwargs)
llvmlite.binding.parse_bitcode = counted
from waterfall.kernels.payments import cents
loaded = cents(2.675)  # a kernel from the cache
before = len(parsed)
@numba.njit
def twice(amount):  # compiled now, linking the cached kernel's bitcode in
    return cents(amount) * 2.0
print(loaded, before, twice(2.675), len(parsed) - before, file=sys.stderr)
"""


@pytest.mark.skipif(os.environ.get("NUMBA_DISABLE_JIT") == "1", reason="compiled kernels only")
def test_a_kernel_loads_without_parsing_its_bitcode_which_a_later_compile_links() -> None:
    # the parse was 38 ms of a warm one-scenario grid's start; the names it gave the
    # execution engine come from the object's symbol table
    _python(LAZY_LINKING)  # fills the kernel cache if it is empty
    done = _python(LAZY_LINKING)
    assert done.returncode == 0, done.stderr
    loaded, parsed_at_load, doubled, parsed_to_link = done.stderr.split()[-4:]
    assert (loaded, parsed_at_load) == ("2.68", "0")
    assert (doubled, parsed_to_link) == ("5.36", "1")


def test_an_objects_defined_symbols_are_those_of_its_symbol_table() -> None:
    # a hand-built ELF64 object: a defined function, a defined object, an undefined symbol,
    # a section symbol and the unnamed first entry
    names = b"\0run\0table\0missing\0"
    symbols = b"".join(
        struct.pack("<IBBHQQ", name, info, 0, section, 0, 0)
        for name, info, section in (
            (0, 0, 0),
            (1, 0x12, 1),
            (5, 0x11, 2),
            (11, 0x10, 0),
            (0, 3, 1),
        )
    )
    header = bytearray(64)
    header[:6] = b"\x7fELF\x02\x01"
    sections_at = 64 + len(names) + len(symbols)
    struct.pack_into("<Q", header, 0x28, sections_at)
    struct.pack_into("<HH", header, 0x3A, 64, 3)
    table = b"".join(
        struct.pack("<IIQQQQIIQQ", 0, kind, 0, 0, offset, size, link, 0, 0, 0)
        for kind, offset, size, link in (
            (0, 0, 0, 0),
            (3, 64, len(names), 0),  # the string table
            (2, 64 + len(names), len(symbols), 1),  # the symbol table, names in section 1
        )
    )
    assert _jit._defined_symbols(bytes(header) + names + symbols + table) == {"run", "table"}
    assert _jit._defined_symbols(b"\xcf\xfa\xed\xfe" + bytes(60)) is None  # Mach-O


@pytest.mark.skipif(os.environ.get("NUMBA_DISABLE_JIT") == "1", reason="compiled kernels only")
def test_the_lazy_bitcode_load_nests_and_leaves_numbas_method_in_place() -> None:
    import numba.core.registry

    codegen = numba.core.registry.cpu_target.target_context.codegen()
    stock = type(codegen).unserialize_library
    with _jit._linking_bitcode_parsed_when_linked(codegen):
        patched = codegen.unserialize_library
        with _jit._linking_bitcode_parsed_when_linked(codegen):  # a load within a load
            assert codegen.unserialize_library is patched
        assert codegen.unserialize_library is patched
    assert codegen.unserialize_library.__func__ is stock
    assert "unserialize_library" not in vars(codegen)


def test_an_unreadable_object_is_left_to_numbas_own_load() -> None:
    truncated = b"\x7fELF\x02\x01" + bytes(10)
    assert _jit._defined_symbols(truncated) is None
