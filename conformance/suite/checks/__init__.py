"""Check modules, one per rule family; each registers plain functions with ``registry.check``."""

from __future__ import annotations

import threading

__all__ = ["HYPOTHESIS_LOCK"]

#: One Hypothesis run at a time per process. Several suite runs may share a process (the mutation
#: score's --jobs, a test harness): Hypothesis describes strategies with ``ast.parse``, which
#: CPython 3.11 does not make safe across threads ("AST constructor recursion depth mismatch"),
#: and a crash there became a spurious finding. Only generation and the stateful exploration hold it.
HYPOTHESIS_LOCK = threading.Lock()
