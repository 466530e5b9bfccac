"""The one place numba options are set: every kernel uses ``@kernel``.

numba's on-disk cache checks only the timestamp of the file that holds a cached function,
so an edit to a helper in another module would leave a stale kernel. The cache therefore
lives in a folder named by a hash of every kernel source file: any edit under
``waterfall/kernels`` moves the cache to a new folder, and a warm start stays fast.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numba

_KERNEL_DIR = Path(__file__).parent / "kernels"


def kernel_source_hash() -> str:
    """Return a short hash of every kernel source file (names and contents)."""
    digest = hashlib.sha256()
    for path in sorted(_KERNEL_DIR.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _cache_dir() -> Path:
    base = os.environ.get("WATERFALL_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME")
    root = Path(base) if base else Path.home() / ".cache"
    return root / "waterfall-numba" / kernel_source_hash()


# numba's cache locators read config.CACHE_DIR when a function is decorated, so setting it
# here, before any kernel module is imported, is enough.
numba.config.CACHE_DIR = str(_cache_dir())  # type: ignore[attr-defined]  # set at import

kernel = numba.njit(cache=True, error_model="python", fastmath=False, nogil=True)
"""Decorator for every compiled kernel: cached, exact IEEE arithmetic, Python errors."""

parallel_kernel = numba.njit(
    cache=True, error_model="python", fastmath=False, nogil=True, parallel=True
)
"""Decorator for the one scenario-axis kernel that uses ``prange``."""

prange = numba.prange
"""A ``range`` that ``parallel_kernel`` splits over threads (a plain range without the JIT)."""

literal_unroll = numba.literal_unroll
"""Loop over a tuple of arrays of different shapes inside a kernel."""


def thread_count() -> int:
    """Threads a ``parallel_kernel`` runs on (NUMBA_NUM_THREADS, else the machine's cores)."""
    return int(numba.get_num_threads())


def needs_compiling(*functions: object) -> bool:
    """Return True when calling one of ``functions`` now would compile it.

    A kernel needs compiling when the JIT is on, this process has not compiled it yet, and
    the on-disk cache holds no machine code for the current kernel sources. The check reads
    numba's cache index (as numba itself does before compiling); if numba's internals ever
    change shape, it answers False rather than fail.
    """
    for function in functions:
        cache = getattr(function, "_cache", None)
        if cache is None or getattr(function, "signatures", None):
            continue  # plain Python (NUMBA_DISABLE_JIT=1), or already compiled here
        try:
            if not cache._cache_file._load_index():
                return True
        except Exception:  # a private numba API: never fail a run over a notice
            return False
    return False
