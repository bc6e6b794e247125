"""scripts/bench: ours and both baselines, same traffic, alternating, pinned; results into
docs/benchmarks.md."""
