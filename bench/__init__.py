"""Benchmarks: each bench_*.py measures side by side in one run and prints ratios against its targets."""
