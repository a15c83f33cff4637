"""The CFFI binding (ABI mode: no compiler is needed at import).

csrc/binding.h is the cdef (its preprocessor lines stripped). The library is
the file named by the environment variable SHOAL_LIB if set (sanitizer
builds), else _libshoal.so next to this file (a plain build puts it there).
It is opened on first use, so `import shoal` works without a build and the
pure-Python parts (units, addresses, pcap checks) stay usable.
"""

import os

from cffi import FFI

__all__ = ["ffi", "load", "lib_path", "U64_MAX"]

_HERE = os.path.dirname(os.path.abspath(__file__))
_HEADER = os.path.join(_HERE, "csrc", "binding.h")
_DEFAULT_LIB = os.path.join(_HERE, "_libshoal.so")

BUILD_HINT = (
    "build it from the repository root with:\n"
    "    cmake -S . -B build/release && cmake --build build/release -j2\n"
    "(a sanitizer build goes to build/asan; point SHOAL_LIB at its _libshoal.so)"
)

U64_MAX = 2**64 - 1


def _cdef_source():
    with open(_HEADER, encoding="utf-8") as f:
        return "\n".join(line for line in f.read().splitlines() if not line.lstrip().startswith("#"))


ffi = FFI()
ffi.cdef(_cdef_source())

_lib = None


def lib_path():
    """The library path that load() opens (or would open)."""
    return os.environ.get("SHOAL_LIB") or _DEFAULT_LIB


def load():
    """The opened library; ImportError with the build command if it is missing."""
    global _lib
    if _lib is None:
        path = lib_path()
        if not os.path.exists(path):
            where = "SHOAL_LIB points at" if os.environ.get("SHOAL_LIB") else "shoal needs"
            raise ImportError(f"{where} {path}, which does not exist; {BUILD_HINT}", path=path)
        try:
            _lib = ffi.dlopen(path)
        except OSError as e:
            raise ImportError(f"cannot load {path}: {e}; {BUILD_HINT}", path=path) from e
    return _lib


def strerror(code):
    """shoal_strerror(code) as a Python string."""
    s = load().shoal_strerror(code)
    return ffi.string(s).decode("utf-8", "replace") if s != ffi.NULL else f"error {code}"
