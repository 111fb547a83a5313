"""The reference simulator of FOTA v1: a stateful, deterministic server with the control plane.

It depends on ``conformance.spec`` only, never on the suite. ``Simulator`` is the pure model (no
HTTP), ``create_app`` its ASGI adapter, ``start`` serves it in a background thread, and
``Profile`` switches planted ``FAULTS`` and allowed ``VARIANTS`` on.
"""

from conformance.simulator.app import create_app
from conformance.simulator.errors import ApiError
from conformance.simulator.model import Simulator
from conformance.simulator.profile import FAULTS, VARIANTS, Profile, ProfileError
from conformance.simulator.server import RunningSimulator, SimulatorStartError, serve_forever, start

__all__ = [
    "FAULTS",
    "VARIANTS",
    "ApiError",
    "Profile",
    "ProfileError",
    "RunningSimulator",
    "Simulator",
    "SimulatorStartError",
    "create_app",
    "serve_forever",
    "start",
]
