"""The one place numba options are set: every kernel uses ``@kernel``.

numba's on-disk cache checks only the timestamp of the file that holds a cached function,
so an edit to a helper in another module would leave a stale kernel. The cache therefore
lives in a folder named by a hash of every kernel source file and of this one: any edit
under ``waterfall/kernels``, or to the options here, moves the cache to a new folder, and a
warm start stays fast.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import importlib.abc
import inspect
import os
import signal
import struct
import subprocess
import sys
import textwrap
import threading
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import llvmlite.binding
import numba
import numba.core.caching
import numba.core.event
import numba.extending

if TYPE_CHECKING:
    from numba.core.decorators import _JITWrapper
    from numba.core.dispatcher import Dispatcher

_KERNEL_DIR = Path(__file__).parent / "kernels"

_F = TypeVar("_F", bound=Callable[..., Any])


def skip_numba_extensions() -> None:
    """Tell numba, in this process, that its extensions are loaded, so it does not look them
    up. For the command line (``cli.console_main``) only, which compiles and loads no code
    but the package's kernels: before its first dispatch numba reads the entry points of
    every installed package to find extensions (``numba_extensions``), 27 ms of a warm start
    with 95 packages installed, more in a larger environment. A library user's process
    keeps its extensions. Nothing happens if numba no longer has the flag."""
    from numba.core import entrypoints

    if getattr(entrypoints, "_already_initialized", None) is False:
        entrypoints._already_initialized = True


def kernel_source_hash() -> str:
    """Return a short hash of every kernel source file and of this one (its options)."""
    digest = hashlib.sha256()
    for path in [*sorted(_KERNEL_DIR.glob("*.py")), Path(__file__)]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _cache_dir() -> Path:
    base = os.environ.get("WATERFALL_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME")
    root = Path(base) if base else Path.home() / ".cache"
    # numba's cache does not tell a bounds-checked kernel from an unchecked one: a run with
    # NUMBA_BOUNDSCHECK=1 would load the unchecked kernels (and the reverse), so each has
    # its own folder
    checked = "-boundscheck" if numba.config.BOUNDSCHECK else ""  # type: ignore[attr-defined]
    return root / "waterfall-numba" / (kernel_source_hash() + checked)


# numba's cache locators read config.CACHE_DIR when a function is decorated, so setting it
# here, before any kernel module is imported, is enough.
numba.config.CACHE_DIR = str(_cache_dir())  # type: ignore[attr-defined]  # set at import


class _WithoutScipyLinalg(importlib.abc.MetaPathFinder):
    """An import finder that refuses ``scipy.linalg`` to the thread that installs it (while
    numba's array maths module loads there); other threads import it as usual."""

    def __init__(self) -> None:
        self.thread = threading.get_ident()

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> None:
        if threading.get_ident() != self.thread:
            return
        if fullname == "scipy.linalg" or fullname.startswith("scipy.linalg."):
            raise ImportError(f"{fullname} is not loaded for numba's BLAS check")


def _load_array_maths_without_blas() -> None:
    """Load ``numba.np.arraymath`` without its BLAS check importing ``scipy.linalg``.

    numba loads that module with the first kernel it compiles, or loads from the cache if the
    kernel's machine code calls numba's array maths (as ``.sum()`` does: ours do not,
    ``payments.sum_in_order``, so a warm start does not load it), and the module asks once whether
    ``scipy.linalg.cython_blas`` imports. Our kernels use no BLAS, and that import
    (scipy.linalg, which pulls in numpy.f2py) was 0.17-0.28 s of a warm ``waterfall run`` of
    0.85 s. It is refused while the module loads, so numba records "no BLAS", which only
    chooses how ``np.correlate`` and ``np.convolve`` are compiled (``np.dot`` checks for BLAS
    again when it compiles); ``scipy.linalg`` imports normally afterwards. A process that
    first loads a function of its own from numba's cache, before any kernel compiles, loads
    the module as numba does, with the check.
    """
    if "numba.np.arraymath" in sys.modules:
        return
    with _scipy_linalg_refused():
        import numba.np.arraymath  # noqa: F401  (loaded for its side effect, once)


@contextlib.contextmanager
def _scipy_linalg_refused() -> Iterator[None]:
    """Refuse ``scipy.linalg`` imports in the block (``_load_array_maths_without_blas``)."""
    finder = _WithoutScipyLinalg()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)


_PER_BLOCK_COPY = """
        kernel_copy.blocks = {}
        for block_label, block in the_ir.blocks.items():
            new_block = copy.deepcopy(the_ir.blocks[block_label])
"""
"""How numba's inliner (``InlineWorker.inline_ir``) copies a callee's IR: a block at a time,
each ``deepcopy`` with a memo of its own."""

_ONE_MEMO_COPY = """
        kernel_copy.blocks, memo = {}, {}  # one memo: the blocks share one copied scope
        for block_label, block in the_ir.blocks.items():
            new_block = copy.deepcopy(the_ir.blocks[block_label], memo)
"""


def _copy_inlined_ir_with_one_memo() -> bool:
    """Make numba's inliner copy a callee's blocks with one ``deepcopy`` memo; return True
    when numba's inliner is (now) the patched one.

    Every ``inline_kernel`` call site is inlined by copying the callee's IR twice, block by
    block. Each block's variables point to the function's scope, which holds every variable,
    so with a memo per block the whole scope was copied again for each block: the copying
    grew as blocks x variables (numba issues 8989 and 9204). It was most of numba's inlining
    pass, which took 3.5 s of the month body's 11 s compile. With one memo per copy the
    copied blocks share one copied scope, as the blocks of any numba function share one; the
    inliner reads only that scope's names, so the inlined IR is the same: after a run and a
    grid every kernel's LLVM IR and machine code compared equal, with and without
    (``tests/unit/test_jit_inliner.py`` compares two kernels). A numba whose inliner reads
    otherwise is left as it is.
    """
    from numba.core import inline_closurecall

    worker = inline_closurecall.InlineWorker
    if getattr(worker.inline_ir, "_copies_with_one_memo", False):
        return True
    stock = worker.inline_ir
    try:
        lines, first_line = inspect.getsourcelines(stock)
    except (OSError, TypeError):  # numba installed without its sources
        return False
    source = textwrap.dedent("".join(lines))
    if source.count(_PER_BLOCK_COPY) != 1:
        return False
    patched: dict[str, Any] = {}
    # the same line numbers as numba's file (the patch adds no line), for tracebacks
    padded = "\n" * (first_line - 1) + source.replace(_PER_BLOCK_COPY, _ONE_MEMO_COPY)
    code = compile(padded, inspect.getfile(worker), "exec")
    exec(code, vars(inline_closurecall), patched)
    patched["inline_ir"]._copies_with_one_memo = True
    patched["inline_ir"].__wrapped__ = stock  # numba's own, for the test that compares them
    worker.inline_ir = patched["inline_ir"]  # type: ignore[method-assign]
    return True


class _BeforeCompiling(numba.core.event.Listener):
    """Loads numba's array maths without BLAS and patches numba's inliner when a kernel is
    first compiled (not at import: a run whose kernels all come from the cache loads
    neither module)."""

    def on_start(self, event: numba.core.event.Event) -> None:
        _load_array_maths_without_blas()
        _copy_inlined_ir_with_one_memo()

    def on_end(self, event: numba.core.event.Event) -> None:
        pass


_BEFORE_COMPILING = _BeforeCompiling()
numba.core.event.register("numba:compile", _BEFORE_COMPILING)  # type: ignore[no-untyped-call]

_NO_RUNTIME: dict[str, Any] = {"_nrt": False}
"""numba's switch for its runtime (reference counting); internal, so not in its stubs."""

_NO_C_WRAPPER: dict[str, Any] = {"no_cfunc_wrapper": True}
"""No C-callable wrapper per kernel: numba compiles one for every function in case it is
passed as a first-class function, which no kernel is (0.45 s of the grid kernel's compile,
whose C signature spells out some 140 arrays). Not in numba's stubs either."""


class _KernelCache(numba.core.caching.FunctionCache):
    """numba's on-disk cache of a function, loaded without refreshing numba's registries.

    numba's ``load_overload`` refreshes the typing and target contexts before it loads
    machine code from the cache: it imports and installs every implementation numba has
    (its array maths, random generators, polynomials, ...) and compiles its runtime's
    functions. Loading compiled code needs none of them (the helper symbols it links to are
    installed when the context is made), and a compilation refreshes the contexts itself
    (``CompilerBase.__init__``). The refresh was 80-90 ms of a warm ``waterfall run`` or
    one-scenario grid of 0.47-0.50 s. Only kernels that never use numba's runtime
    (``_nrt=False``) load so: a function that does needs the runtime initialised, and
    crashes without it.
    """

    def load_overload(self, sig: Any, target_context: Any) -> Any:
        # a kernel calling numba's array maths would import it here, BLAS check and all
        with (
            _scipy_linalg_refused(),
            self._guard_against_spurious_io_errors(),
            _linking_bitcode_parsed_when_linked(target_context.codegen()),
        ):
            return self._load_overload(sig, target_context)  # type: ignore[no-untyped-call]


@contextlib.contextmanager
def _linking_bitcode_parsed_when_linked(codegen: Any) -> Iterator[None]:
    """While a kernel loads from the cache, its library's bitcode for linking is parsed only
    if a kernel compiled later links against it.

    numba's ``unserialize_library`` parses that bitcode (``llvmlite.binding.parse_bitcode``)
    as it loads the machine code, for two uses: another library's compile links it in, and
    the names it defines are registered with the execution engine (which
    ``get_pointer_to_function`` checks). The parse was 38 ms of a warm one-scenario grid's
    102 ms in ``main``, 20 ms of a warm run's 84 ms. Here the names are read from the machine
    code's own symbol table (an ELF object; the same names for every kernel), and the
    bitcode is parsed when ``_get_module_for_linking`` first asks for it. Object code of
    another format, or a numba without these private methods, loads as numba loads it.
    Called under numba's compiler lock (``Dispatcher.compile``), as numba's own load is.
    """
    if (
        not all(
            hasattr(codegen, name) for name in ("create_library", "unserialize_library", "_engine")
        )
        or not hasattr(codegen._engine, "_defined_symbols")
        or "unserialize_library" in vars(codegen)  # a load within a load: already in place
    ):
        yield
        return
    stock, engine = codegen.unserialize_library, codegen._engine

    def unserialize(state: tuple[str, str, Any]) -> Any:
        name, kind, data = state
        symbols = _defined_symbols(data[0]) if kind == "object" else None
        if symbols is None:
            return stock(state)
        object_code, linking_bitcode = data
        library = codegen.create_library(name)
        library.enable_object_caching()
        library._set_compiled_object(object_code)
        library._finalize_final_module()
        engine._defined_symbols |= symbols
        this = weakref.ref(library)  # the library holds the function: no reference cycle

        def module_for_linking() -> Any:
            loaded: Any = this()  # alive: only the library itself calls this
            if loaded._shared_module is None:
                loaded._shared_module = llvmlite.binding.parse_bitcode(linking_bitcode)
            return loaded._shared_module

        library._get_module_for_linking = module_for_linking
        return library

    codegen.unserialize_library = unserialize
    try:
        yield
    finally:
        del codegen.unserialize_library  # numba's own method again


def _defined_symbols(object_code: bytes) -> set[str] | None:
    """The names an ELF object (64-bit, little-endian) defines: every named function, object
    or untyped symbol of its symbol table that is not undefined. None for another format, or
    an object this cannot read (numba's own load then reports it)."""
    if object_code[:4] != b"\x7fELF" or object_code[4:6] != b"\x02\x01":
        return None
    try:
        symbols = elf_symbols(object_code)
    except (struct.error, IndexError, ValueError):  # UnicodeDecodeError is a ValueError
        return None
    return {
        symbol.name
        for symbol in symbols
        if symbol.section != _UNDEFINED and symbol.kind in _NAMED_KINDS
    }


class ElfSymbol(NamedTuple):
    """One named entry of an ELF object's symbol table."""

    name: str
    kind: int  # STT_*: 0 untyped, 1 object, 2 function, ...
    section: int  # the index of the section it is in; 0 (SHN_UNDEF) when undefined
    value: int  # in an object file, its offset in that section
    size: int  # bytes


def elf_symbols(object_code: bytes) -> list[ElfSymbol]:
    """The named symbols of a 64-bit little-endian ELF object (numba's object code, as its
    cache holds it). Raises ValueError when the object has no symbol table."""
    table_at = struct.unpack_from("<Q", object_code, 0x28)[0]
    entry_size, n_sections = struct.unpack_from("<HH", object_code, 0x3A)
    sections = [
        struct.unpack_from("<IIQQQQIIQQ", object_code, table_at + index * entry_size)
        for index in range(n_sections)
    ]
    for _, kind, _, _, offset, size, link, _, _, _ in sections:
        if kind != _SYMBOL_TABLE:
            continue
        names_at = sections[link][4]
        symbols = []
        for entry in range(offset, offset + size, _SYMBOL_SIZE):
            name, info, _, section, value, length = struct.unpack_from(
                "<IBBHQQ", object_code, entry
            )
            if name:
                start = names_at + name
                text = object_code[start : object_code.index(b"\0", start)].decode()
                symbols.append(ElfSymbol(text, info & 0xF, section, value, length))
        return symbols
    raise ValueError("no symbol table")


_SYMBOL_TABLE = 2  # SHT_SYMTAB
_SYMBOL_SIZE = 24  # an Elf64_Sym
_UNDEFINED = 0  # SHN_UNDEF
_NAMED_KINDS = (0, 1, 2)  # STT_NOTYPE, STT_OBJECT, STT_FUNC


_cached_kernel: _JITWrapper = numba.njit(
    cache=True, error_model="python", fastmath=False, nogil=True, **_NO_RUNTIME, **_NO_C_WRAPPER
)


def kernel(function: _F) -> Dispatcher[_F]:
    """Decorator for every compiled kernel: cached, exact IEEE arithmetic, Python errors.

    Compiled without numba's reference counting (``_nrt=False``). A kernel only reads and
    writes arrays its caller allocated, so the counts are never needed, and they were what a
    month cost: every array that crossed a compiled call, or was read from a NamedTuple, or
    sliced as a view, was counted up and down with an atomic instruction (2002-HE1's waterfall
    had 279 increments and 581 decrements in its machine code; perf put two instructions of
    numba's atomic add at most of the time). Without the runtime an allocation inside a kernel
    does not compile ("NRT required but not enabled"), which keeps the hot loops allocation-free.
    Loaded from the cache by ``_KernelCache``.
    """
    dispatcher = _cached_kernel(function)
    cache = getattr(dispatcher, "_cache", None)  # absent with NUMBA_DISABLE_JIT=1
    options = getattr(dispatcher, "targetoptions", {})
    if (
        type(cache) is numba.core.caching.FunctionCache
        and options.get("_nrt") is False
        # private numba methods: a numba without them loads as numba does
        and hasattr(cache, "_load_overload")
        and hasattr(cache, "_guard_against_spurious_io_errors")
    ):
        cache.__class__ = _KernelCache
    return dispatcher


called_kernel: Callable[[_F], _F] = numba.extending.register_jitable(
    error_model="python", fastmath=False, **_NO_RUNTIME, **_NO_C_WRAPPER
)
"""``kernel`` for a function only kernels call (numba's ``register_jitable``): compiled when
a kernel that calls it compiles, into that kernel's cached code, with no wrapper to call it
from Python (unboxing a NamedTuple of 28 arrays, the wrapper took 0.1 s to compile, for
nothing) and no cache file of its own. Called from Python it runs as plain Python. The
grid's helpers compiled 0.7 s faster so."""

inline_kernel: _JITWrapper = numba.njit(
    inline="always", error_model="python", fastmath=False, nogil=True, **_NO_RUNTIME,
    **_NO_C_WRAPPER,
)  # fmt: skip
"""``kernel`` for a month-loop step: its body is inlined into the caller at numba IR level,
so no NamedTuple of arrays is copied into a call each month. Used for the steps one month
runs once or that are hot and small; inlining costs compile time, so the rest stay calls."""

literal_unroll = numba.literal_unroll
"""Loop over a tuple of arrays of different shapes inside a kernel."""


def thread_count() -> int:
    """Threads a grid block runs on: numba's thread count (NUMBA_NUM_THREADS, else the
    machine's cores; ``numba.set_num_threads`` lowers it)."""
    return int(numba.get_num_threads())


_HELPERS: list[subprocess.Popen[bytes]] = []
"""Processes compiling kernels into the shared cache beside this one (``compile_aside``)."""

HELPER_TIMEOUT = 120.0
"""Seconds a command waits for a helper before it compiles the kernels itself."""

_PACKAGE_ROOT = Path(__file__).resolve().parents[1]
"""The folder this ``waterfall`` package was imported from: a helper imports it from there."""

_PR_SET_PDEATHSIG = 1
"""Linux ``prctl`` option: the signal a process gets when the thread that started it ends."""


def compile_aside(statement: str) -> None:
    """Run ``statement`` (Python that calls kernels, so compiling them into the on-disk
    cache) in a second process while this one goes on; ``await_aside`` waits for it.

    numba compiles one function at a time in a process, and a first ``waterfall run`` spent
    about 3 s of its 13 compiling the investor measures after the month body's 8: on a
    second core they compile meanwhile, and this process loads them from the cache. The
    helper imports this ``waterfall`` package (its folder first on ``PYTHONPATH``) with this
    process's environment, so it uses the same cache folder; its output is dropped. A helper
    that fails, or cannot start, costs nothing but its time: the kernels are then compiled
    here.
    """
    paths = [str(_PACKAGE_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    prelude = f"from waterfall._jit import end_with_parent; end_with_parent({os.getpid()}); "
    try:
        helper = subprocess.Popen(
            [sys.executable, "-c", prelude + statement],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(paths)},
        )
    except OSError:  # no interpreter to start, no process left: compile here instead
        return
    _HELPERS.append(helper)


def end_with_parent(parent: int) -> None:
    """Called first in a helper: on Linux, have it killed when the process ``parent`` that
    started it ends, even by a signal that skips ``stop_aside``; end now if it already has.
    Elsewhere nothing (the helper then ends on its own, in seconds)."""
    if sys.platform != "linux":
        return
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent ended before the request took effect
        os._exit(0)


def await_aside() -> None:
    """Wait for the helpers started by ``compile_aside`` (at most ``HELPER_TIMEOUT`` s each,
    then stop it): the kernels they compiled are then in the cache. Nothing to do when none
    was started, or after the first call. A wait that is interrupted leaves the helper to
    ``stop_aside``."""
    while _HELPERS:
        helper = _HELPERS[-1]
        try:
            helper.wait(HELPER_TIMEOUT)
        except subprocess.TimeoutExpired:
            helper.kill()
            helper.wait()
        _HELPERS.pop()


def stop_aside() -> None:
    """Stop the helpers still running (a command that ended, or was interrupted, before it
    needed their kernels). numba writes each cache file whole or not at all, but a kernel's
    index before its machine code: a helper stopped between the two leaves an index entry
    whose code is missing, and numba then compiles that kernel when it is first called (a
    later command may do so without the compiling notice)."""
    while _HELPERS:
        helper = _HELPERS.pop()
        if helper.poll() is None:
            helper.kill()
        helper.wait()


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
