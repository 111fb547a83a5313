"""The conformance suite: checks (one module per rule family), the runner, and the report."""
