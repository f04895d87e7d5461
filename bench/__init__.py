"""Benchmarks of evalrules against the alternatives (see docs/performance.md).

`python -m bench` runs the comparison; `python -m bench.stream` the 1,000,000-unit streaming
run; `python -m bench.growth` the growth with scheme size. Nothing here is imported by the
package, and no test fails on timing.
"""
