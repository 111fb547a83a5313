"""What the vendor API is: the OpenAPI documents, the behaviour rules, the lifecycle and the world.

The bottom layer: it imports nothing else of the package, and everything else may import it.
"""

from conformance.spec.lifecycle import Status
from conformance.spec.openapi import load_control, load_openapi, openapi_path
from conformance.spec.rules import RULES, Level, Rule
from conformance.spec.world import World, WorldError, default_world

__all__ = [
    "RULES",
    "Level",
    "Rule",
    "Status",
    "World",
    "WorldError",
    "default_world",
    "load_control",
    "load_openapi",
    "openapi_path",
]
