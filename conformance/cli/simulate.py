"""``fota-conformance simulate``: serve the reference simulator until Ctrl-C or SIGTERM.

With ``--strict`` it also judges every request it receives against the CLIENT rules (the client
gate) and, once stopped, writes the client report and exits 0/1 like ``run`` (3: no API call came).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any
from urllib.parse import urlsplit

from conformance.cli._common import (
    EXIT_OK,
    EXIT_UNTESTABLE,
    PORT,
    UsageError,
    check_outputs,
    die,
    load_world,
    profile,
    write_reports,
)

__all__ = ["register"]


def register(sub: Any) -> None:
    sim = sub.add_parser("simulate", help="serve the reference simulator",
                         description="Serve the reference simulator (with the control plane) until Ctrl-C. "
                                     "With --strict, also judge every request a client sends (the CLIENT "
                                     "rules) and write the client report when stopped (Ctrl-C or SIGTERM).")
    sim.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    sim.add_argument("--port", type=PORT, default=8080, help="port (default 8080; 0 picks a free one)")
    sim.add_argument("--world", metavar="FILE", help="world JSON to start with (default: the built-in one)")
    sim.add_argument("--fault", action="append", default=[], metavar="NAME", help="plant a fault; repeatable")
    sim.add_argument("--variant", action="append", default=[], metavar="NAME",
                     help="switch on an allowed variant; repeatable")
    sim.add_argument("--realtime", action="store_true",
                     help="let the clock follow wall time (always so with --no-control-plane)")
    sim.add_argument("--no-control-plane", action="store_true",
                     help="serve no /__control/* (stand in for a black-box target such as the vendor's API)")
    gate = sim.add_argument_group("client gate (--strict)")
    gate.add_argument("--strict", action="store_true",
                      help="judge every request against the CLIENT rules; on exit print the verdict and exit "
                           "0 (conformant), 1 (a MUST rule failed) or 3 (no API call was seen)")
    gate.add_argument("--client-report-json", metavar="FILE", help="write the client report (JSON) here on exit")
    gate.add_argument("--client-junit-xml", metavar="FILE", help="write the client report as JUnit XML on exit")
    gate.add_argument("--client-markdown", metavar="FILE", help="write the client report as Markdown on exit")
    sim.set_defaults(handler=_cmd_simulate)


def _cmd_simulate(args: argparse.Namespace) -> int:
    outputs = (args.client_report_json, args.client_junit_xml, args.client_markdown)
    if any(outputs) and not args.strict:
        raise UsageError("--client-report-json, --client-junit-xml and --client-markdown need --strict")
    check_outputs(*outputs)
    world = load_world(args.world)
    prof = profile(args.fault, args.variant)
    from conformance.simulator.server import SimulatorStartError, serve_forever

    judge, observer, client_report = None, None, None
    if args.strict:
        from conformance.client import ClientJudge, ClientRequest
        from conformance.simulator.app import API_PREFIX
        from conformance.spec.world import default_world

        the_world = world or default_world()
        judge = ClientJudge(target="clients of the reference simulator",
                            control_plane=not args.no_control_plane,
                            secrets=[s for c in the_world.credentials for s in (c.bearer, c.m2m)])

        def observer(record: dict[str, Any]) -> None:
            request = ClientRequest(**record)
            if judge.target == "clients of the reference simulator":  # the port is known once called
                judge.target += f" at {urlsplit(request.url)._replace(path='', query='').geturl()}{API_PREFIX}"
            judge.observe(request)

        client_report = judge.report
    try:
        # Without a control plane nothing else could move the clock: campaigns would never be decided.
        serve_forever(host=args.host, port=args.port, world=world, profile=prof,
                      realtime=args.realtime or args.no_control_plane,
                      control_plane=not args.no_control_plane, observer=observer, client_report=client_report)
    except SimulatorStartError as exc:
        raise UsageError(str(exc)) from None
    except KeyboardInterrupt:
        pass  # Ctrl-C is how a simulator is meant to stop
    if judge is None:
        return EXIT_OK
    code = write_reports(args, judge.report(), prefix="client_")
    if judge.judged == 0 and code != 2:
        return die("no call of the FOTA v1 operations reached the simulator: no client was judged",
                   EXIT_UNTESTABLE)
    sys.stdout.flush()
    return code
