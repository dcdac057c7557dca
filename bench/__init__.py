"""Benchmarks of ctxlocal: ``python -m bench`` (see ``bench/__main__.py``) and a
pytest-benchmark suite (``python -m pytest bench``), both built on the
operations of :mod:`bench.ops`."""
