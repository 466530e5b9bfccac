"""numba's inliner, patched to copy a callee's blocks with one memo (``waterfall._jit``),
inlines exactly what numba's own does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numba
import pytest
from numba.core.inline_closurecall import InlineWorker

from waterfall._jit import _copy_inlined_ir_with_one_memo

pytestmark = pytest.mark.skipif(
    os.environ.get("NUMBA_DISABLE_JIT") == "1", reason="compiled kernels only"
)

COMPILE = """
import sys
import numba.core.event
import numpy as np
from waterfall import _jit
from waterfall.kernels.metrics import margin_of, yield_of
if sys.argv[1] == "stock":
    numba.core.event.unregister("numba:compile", _jit._BEFORE_COMPILING)
flows = np.linspace(1.0, 2.0, 24)
yield_of(flows, np.arange(30, 750, 30), 20.0)
margin_of(flows, np.full(24, 30 / 360), np.full(24, 0.02), 20.0)
for kernel in (yield_of, margin_of):
    print(kernel.inspect_llvm(kernel.signatures[0]))
"""
"""Compile two kernels made of ``inline_kernel`` helpers (several called more than once)
and print their LLVM IR; ``stock`` compiles them with numba's own inliner."""


def test_the_patched_inliner_is_in_place_after_a_compile() -> None:
    # a numba whose inliner no longer reads as patched compiles the month body 3.5 s slower
    numba.njit(lambda x: x + 1)(1)
    assert getattr(InlineWorker.inline_ir, "_copies_with_one_memo", False)
    assert _copy_inlined_ir_with_one_memo()


def test_the_patched_inliner_gives_numbas_own_ir(tmp_path: Path) -> None:
    # each in a new process from an empty cache: the names numba gives inlined variables
    # count the inlines made in the process, so they match only for the same sequence
    def llvm(inliner: str) -> str:
        environment = {**os.environ, "WATERFALL_CACHE_DIR": str(tmp_path / inliner)}
        done = subprocess.run(
            [sys.executable, "-c", COMPILE, inliner], env=environment, capture_output=True,
            text=True, check=True,
        )  # fmt: skip
        return done.stdout

    stock = llvm("stock")
    assert "_halley_step" in stock  # the helpers' inlined variables are named after them
    assert llvm("patched") == stock
