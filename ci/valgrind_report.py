"""Read valgrind ``--xml=yes`` reports; fail on memory errors in ctxlocal's compiled module.

Usage: python ci/valgrind_report.py PATTERN REPORT.xml [REPORT.xml ...]

Counts every error whose stack has a frame in a file or object matching
PATTERN (e.g. ``_local_c``), prints each with its stack, and exits 1 if there
is any. Other errors (CPython's own noise) are counted by kind only. Leak
records are ignored: memory still held at exit is expected of CPython, and
reference leaks are ci/refcount-dbg.sh's job.

Not ValgrindCI (PyPI's ``valgrindci``, which reads these reports and fails a
CI run on them): it parses each report whole, so the unfinished
report of a forked child (see ``_errors``) stops it, and it files an error
under the first frame that has a source file, while this check wants every
error with a frame of the compiled module anywhere in its stack (an invalid
read in CPython or libc called from it too).
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from collections import Counter
from typing import List


def _frames(error: ET.Element) -> List[str]:
    frames = []
    for frame in error.iter("frame"):
        parts = [frame.findtext(tag) or "" for tag in ("fn", "file", "obj")]
        line = frame.findtext("line")
        frames.append(" ".join(p for p in parts if p) + (f":{line}" if line else ""))
    return frames


def _errors(path: str) -> List[ET.Element]:
    """The error records of one report.

    A process that forks and execs (``subprocess``) leaves its child's report
    unfinished: only the preamble, no closing tag. Close it before parsing.
    """
    with open(path, encoding="utf-8", errors="replace") as report:
        text = report.read()
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        root = ET.fromstring(text + "\n</valgrindoutput>\n")
    return root.findall("error")


def main(argv: List[str]) -> int:
    pattern, paths = argv[0], argv[1:]
    ours, others = [], Counter()
    for path in paths:
        for error in _errors(path):
            kind = error.findtext("kind") or "?"
            if kind.startswith("Leak_"):
                continue
            frames = _frames(error)
            if any(pattern in frame for frame in frames):
                what = error.findtext("what") or error.findtext("xwhat/text") or ""
                ours.append((kind, what, frames))
            else:
                others[kind] += 1
    for kind, what, frames in ours:
        print(f"== {kind}: {what}")
        for frame in frames[:25]:
            print(f"   {frame}")
    print(f"valgrind: {len(paths)} report(s), {len(ours)} error(s) involving {pattern}; "
          f"other errors by kind: {dict(others) or 'none'}")
    return 1 if ours else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
