"""Process-wide memory settings, applied by the entry points (never at import)."""

from __future__ import annotations

import ctypes
import os
import sys

M_ARENA_MAX = -8
"""glibc's mallopt parameter for the most malloc arenas a process may make."""
ARENAS = 2
"""One per core of the machines we run on; more only spreads freed frames thinner."""


def limit_malloc_arenas(arenas: int = ARENAS) -> bool:
    """Cap glibc's malloc arenas for this process; True when the cap was set.

    glibc gives a thread that allocates while others hold the arenas an arena of its own, up to
    eight per core, and memory freed into one is rarely handed back to the system. A process
    running many projects decodes frames on many threads (inspection, drawing, stills, cuts), so
    its RSS grew with the number of threads that ever touched frames, not with the work at hand.
    On the scale bench (10 projects x 12 shots in one process, 2 cores) peak RSS was 563-595 MB
    with glibc's default and 404 MB with 2 arenas, at the same wall time and CPU.
    A MALLOC_ARENA_MAX set in the environment wins; off glibc this does nothing.
    """
    if os.environ.get("MALLOC_ARENA_MAX") or not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # musl and other C libraries: no such call
        return False
    return bool(mallopt(M_ARENA_MAX, arenas))
