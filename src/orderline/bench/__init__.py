"""Benchmarks: commands that print a table and write a JSON report (``orderline bench ...``)."""
