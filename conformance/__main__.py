"""``python -m conformance`` is the ``fota-conformance`` command."""

from conformance.cli import main

raise SystemExit(main())
