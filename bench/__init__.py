"""Kyklos benchmarks (not tests): ``python -m bench`` from the repository root.

See docs/performance.md for what is measured, the figures and how to reproduce them.
"""
