"""Benchmarks (`make bench`): medians, with ratios against a baseline from the same run."""
