"""``fota-conformance faults``: the simulator's planted faults and allowed variants."""

from __future__ import annotations

import argparse
import json
from typing import Any

from conformance.cli._common import EXIT_OK

__all__ = ["register"]


def register(sub: Any) -> None:
    faults = sub.add_parser("faults", help="list the simulator's planted faults and allowed variants")
    faults.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    faults.set_defaults(handler=_cmd_faults)


def _cmd_faults(args: argparse.Namespace) -> int:
    from conformance.simulator.profile import FAULTS, VARIANTS

    rows = [("fault", f.name, f.rule, f.description) for f in FAULTS.values()]
    rows += [("variant", v.name, ", ".join(v.rules), v.description) for v in VARIANTS.values()]
    if args.format == "json":
        print(json.dumps([{"kind": k, "name": n, "rules": r.split(", "), "description": d} for k, n, r, d in rows],
                         indent=2, ensure_ascii=False))
    elif args.format == "markdown":
        print("| kind | name | rule | description |\n| --- | --- | --- | --- |")
        for k, n, r, d in rows:
            cell = d.replace("|", "\\|")  # a pipe would end the table cell
            print(f"| {k} | `{n}` | {r} | {cell} |")
    else:
        name_w = max(len(n) for _, n, _, _ in rows)
        rule_w = max(len(r) for _, _, r, _ in rows)
        for k, n, r, d in rows:
            print(f"{k:<8} {n:<{name_w}}  {r:<{rule_w}}  {d}")
    return EXIT_OK
