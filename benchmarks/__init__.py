"""Benchmark harness: a deterministic data generator and a runner for the offline jobs."""
