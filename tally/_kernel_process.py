"""Start-up of a ``tally`` console-script process that counts with numba kernels (``tally.cli.main``).

A library process (``import tally``) is left alone: only the console script calls ``prepare``, before
anything has imported numpy or numba. Each step saves start-up work tally's kernels do not need and
changes no result:

- one OpenBLAS thread: numpy's OpenBLAS starts a thread per core when numpy is imported, and each
  spins for a while waiting for work (about 0.05-0.1 s of CPU, taken from the core the count's own
  threads use). tally never calls BLAS; ``OPENBLAS_NUM_THREADS`` set in the environment wins;
- numba without its SciPy and cffi probes (``skip_numba_probes``);
- kernels loaded from numba's on-disk cache without first loading numba's typing and lowering
  registries (``load_cached_kernels_only``).
"""

from __future__ import annotations

import importlib
import os
import sys

# Packages numba imports on start-up only to probe for features tally's kernels never use: SciPy (its
# version, and its BLAS for float ``np.dot``/``np.linalg`` in jitted code) and cffi (calling C through
# cffi from jitted code); and the numba modules that probe for them.
NUMBA_PROBES = ("scipy", "cffi")
PROBING_MODULES = ("numba", "numba.np.arraymath", "numba.core.typing.cffi_utils")


def prepare() -> None:
    """Every step of the module docstring, in order."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    skip_numba_probes()
    load_cached_kernels_only()


def skip_numba_probes() -> None:
    """Let numba find SciPy and cffi missing, so that starting it imports neither.

    On start-up numba imports SciPy to check its version and, on first use, SciPy's BLAS (that
    imports all of ``scipy.linalg``: about 0.3 s when SciPy is installed) and cffi (its C parser: about
    0.07 s): together a third of a ``tally count``. tally's kernels are integer loops that use
    neither. So numba's probing modules are imported up front with SciPy and cffi refused (a ``None``
    entry in ``sys.modules`` makes their import fail, as if they were absent) and the entries removed
    at once: both stay importable for anything else. A package imported already is not refused.
    """
    refused = [name for name in NUMBA_PROBES if name not in sys.modules]
    for name in refused:
        sys.modules[name] = None
    try:
        for module in PROBING_MODULES:
            importlib.import_module(module)
    finally:
        for name in refused:
            del sys.modules[name]


def load_cached_kernels_only() -> None:
    """Load kernels from numba's cache with only the runtime they link against initialised.

    Before loading a cached kernel numba refreshes its target context: it imports and installs every
    typing and lowering registry (about 80 numba modules, third-party extension entry points
    included; 0.07 s of CPU), which only compiling needs. Machine code from the cache needs its
    external symbols: numba's helper library (registered when numba is imported), the C maths
    functions (when the target context starts) and numba's runtime, NRT, which the refresh also
    starts. So a cache load here starts NRT only; a kernel missing from the cache is compiled as
    before, and the compiler refreshes the context itself. Nothing is changed if numba's cache class
    is not the one this was written against."""
    from numba.core.caching import Cache
    from numba.core.runtime import rtsys

    needed = ("load_overload", "_load_overload", "_guard_against_spurious_io_errors")
    if not all(hasattr(Cache, name) for name in needed):
        return

    def load_overload(self, sig, target_context):
        rtsys.initialize(target_context)
        with self._guard_against_spurious_io_errors():
            return self._load_overload(sig, target_context)

    Cache.load_overload = load_overload
