"""Benchmarks of the approval service: real server processes driven by wrk.

``make bench`` (``python -m bench``) runs every benchmark in
``bench.registry.BENCHMARKS``, prints a Markdown report and writes it to
``bench/results/latest.md``. See ``python -m bench --help``.
"""
