"""Reliability and security: fuzzing, concurrency, faults and hostile input (issue 8)."""
