"""The benchmarks (dataops.bench)."""
