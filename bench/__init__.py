"""Benchmarks (`make bench`): figures printed as medians, with ratios against a same-run baseline."""
