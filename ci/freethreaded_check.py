"""The compiled module's C, compiled for free-threaded CPython, and its GIL slot.

No free-threaded interpreter runs here (the wheel workflow's cp314t/cp315t
test steps are where one does). What can be checked without one:

1. the C that Cython generates from ``_ctxlocal/_local_c.pyx`` (with the
   directives ``setup.py`` gives) compiles against CPython's headers with
   ``Py_GIL_DISABLED`` defined, as a free-threaded build's ``pyconfig.h``
   defines it, with no warning (``-Wall -Wextra -Werror``): an API that does
   not exist there, or that the free-threaded headers declare differently,
   fails here;
2. the module declares that it does not need the GIL: its ``Py_mod_gil``
   module-definition slot holds ``Py_MOD_GIL_NOT_USED``. Read from the
   preprocessed C (the compiler's own expansion of every macro on the way):
   the initializer of Cython's ``__pyx_moduledef_slots`` array must hold the
   pair ``{Py_mod_gil, Py_MOD_GIL_NOT_USED}``, each written as the same
   headers expand it (a probe file preprocessed with the same flags gives
   the two expansions, so no header value is hard-coded here);
3. the check can fail: the same module generated with
   ``freethreading_compatible=False`` must be reported as needing the GIL.

Usage (inside the Debian sid root, with Cython installed; see
ci/freethreaded-compile.sh): python ci/freethreaded_check.py [--cc gcc]
Exit 0 when every check passes.
"""

from __future__ import annotations

import argparse
import os
import re
import runpy
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from typing import List

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PYX = os.path.join("_ctxlocal", "_local_c.pyx")
SLOTS = re.compile(r"__pyx_moduledef_slots\s*\[\s*\]\s*=\s*\{(.*?)\}\s*;", re.S)


def flags() -> List[str]:
    include = sysconfig.get_paths()["include"]
    return ["-DPy_GIL_DISABLED=1", f"-I{include}", f"-I{os.path.join(ROOT, '_ctxlocal')}"]


def generate(tree: str) -> str:
    """Cythonize ``tree``'s .pyx as setup.py does; the path of the C file."""
    setup = runpy.run_path(os.path.join(tree, "setup.py"), run_name="freethreaded_check")
    cwd = os.getcwd()
    os.chdir(tree)
    try:
        setup["extensions"]()
    finally:
        os.chdir(cwd)
    return os.path.join(tree, "_ctxlocal", "_local_c.c")


def preprocess(cc: str, source: str) -> str:
    return subprocess.run(
        [cc, "-E", "-P", *flags(), source], check=True, capture_output=True, text=True
    ).stdout


def expansions(cc: str, work: str) -> "tuple[str, str, str]":
    """How the headers expand Py_mod_gil, Py_MOD_GIL_NOT_USED and Py_MOD_GIL_USED."""
    probe = os.path.join(work, "probe.c")
    with open(probe, "w") as f:
        f.write("#include <Python.h>\nCTXLOCAL_PROBE Py_mod_gil | Py_MOD_GIL_NOT_USED | Py_MOD_GIL_USED\n")
    line = next(
        line for line in preprocess(cc, probe).splitlines() if line.startswith("CTXLOCAL_PROBE")
    )
    slot, not_used, used = (squeeze(part) for part in line[len("CTXLOCAL_PROBE"):].split("|"))
    if slot == "Py_mod_gil":
        raise SystemExit("these headers define no Py_mod_gil slot: not CPython 3.13 or later")
    return slot, not_used, used


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def gil_slot(cc: str, c_file: str, slot: str) -> str:
    """The value of the Py_mod_gil entry of the module's slot array, expanded."""
    match = SLOTS.search(preprocess(cc, c_file))
    if match is None:
        raise SystemExit(f"{c_file}: no __pyx_moduledef_slots array (single-phase init?)")
    body = squeeze(match.group(1))
    values = re.findall(r"\{" + re.escape(slot) + r",(.*?)\}(?:,|$)", body)
    if len(values) != 1:
        raise SystemExit(f"{c_file}: {len(values)} Py_mod_gil entries in the slot array: {body}")
    return values[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cc", default=os.environ.get("CC", "gcc"))
    args = parser.parse_args()
    cc = args.cc

    with tempfile.TemporaryDirectory() as work:
        slot, not_used, used = expansions(cc, work)
        print(f"headers: {sysconfig.get_paths()['include']}; Py_mod_gil = {slot},"
              f" Py_MOD_GIL_NOT_USED = {not_used}, Py_MOD_GIL_USED = {used}")

        c_file = generate(ROOT)
        obj = os.path.join(work, "_local_c.o")
        compiled = subprocess.run(
            [cc, "-c", "-fPIC", "-O2", "-Wall", "-Wextra", "-Werror", *flags(), c_file, "-o", obj],
            capture_output=True, text=True,
        )
        if compiled.returncode != 0:
            print(compiled.stderr, file=sys.stderr)
            print("FAILED: the C does not compile warning-free with Py_GIL_DISABLED", file=sys.stderr)
            return 1
        print(f"compiled with Py_GIL_DISABLED, no warnings: {os.path.getsize(obj)} bytes of object")

        value = gil_slot(cc, c_file, slot)
        if value != not_used:
            print(f"FAILED: Py_mod_gil is {value}, not Py_MOD_GIL_NOT_USED ({not_used})",
                  file=sys.stderr)
            return 1
        print("Py_mod_gil slot: Py_MOD_GIL_NOT_USED")

        # The check must be able to fail: the module without the declaration.
        control = os.path.join(work, "control")
        os.makedirs(os.path.join(control, "_ctxlocal"))
        for name in ("setup.py", "ctxlocal/_implementations.py", PYX,
                     "_ctxlocal/ctxlocal_helpers.h"):
            os.makedirs(os.path.dirname(os.path.join(control, name)), exist_ok=True)
            shutil.copy(os.path.join(ROOT, name), os.path.join(control, name))
        pyx = os.path.join(control, PYX)
        with open(pyx) as f:
            text = f.read()
        undeclared = text.replace("freethreading_compatible=True", "freethreading_compatible=False", 1)
        if undeclared == text:
            print(f"FAILED: {PYX} has no freethreading_compatible=True directive", file=sys.stderr)
            return 1
        with open(pyx, "w") as f:
            f.write(undeclared)
        control_value = gil_slot(cc, generate(control), slot)
        if control_value != used:
            print(f"FAILED: the control (no declaration) reads as {control_value},"
                  f" not Py_MOD_GIL_USED ({used}): the check cannot tell", file=sys.stderr)
            return 1
        print("control: the module generated without the declaration reads as Py_MOD_GIL_USED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
