"""``fota-conformance simulate``: serve the reference simulator until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
from typing import Any

from conformance.cli._common import EXIT_OK, UsageError, load_world, number, profile

__all__ = ["register"]

_port = number(int, minimum=0, maximum=65535, what="a port number")


def register(sub: Any) -> None:
    sim = sub.add_parser("simulate", help="serve the reference simulator",
                         description="Serve the reference simulator (with the control plane) until Ctrl-C.")
    sim.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    sim.add_argument("--port", type=_port, default=8080, help="port (default 8080; 0 picks a free one)")
    sim.add_argument("--world", metavar="FILE", help="world JSON to start with (default: the built-in one)")
    sim.add_argument("--fault", action="append", default=[], metavar="NAME", help="plant a fault; repeatable")
    sim.add_argument("--variant", action="append", default=[], metavar="NAME",
                     help="switch on an allowed variant; repeatable")
    sim.add_argument("--realtime", action="store_true", help="let the clock follow wall time")
    sim.add_argument("--no-control-plane", action="store_true",
                     help="serve no /__control/* (stand in for a black-box target such as the vendor's API)")
    sim.set_defaults(handler=_cmd_simulate)


def _cmd_simulate(args: argparse.Namespace) -> int:
    world = load_world(args.world)
    prof = profile(args.fault, args.variant)
    from conformance.simulator.server import SimulatorStartError, serve_forever

    try:
        return serve_forever(host=args.host, port=args.port, world=world, profile=prof, realtime=args.realtime,
                             control_plane=not args.no_control_plane)
    except SimulatorStartError as exc:
        raise UsageError(str(exc)) from None
    except KeyboardInterrupt:
        return EXIT_OK  # Ctrl-C is how a simulator is meant to stop
