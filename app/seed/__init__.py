"""Demo and bulk data: the demo shop `make run` loads, and generated orders for benchmarks and reports."""
