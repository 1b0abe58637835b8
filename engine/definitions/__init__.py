"""Process definitions: hardened parse, validation against the org chart, forms, operations
and the script sandbox, and versioned publication. Entry module: import from here."""

from engine.definitions.deploy import (
    DeployResult,
    check_file,
    deploy,
    latest_definition,
    latest_definitions,
)
from engine.definitions.models import ProcessDefinition
from engine.definitions.store import LoadedDefinition, load, load_by_id, load_latest
from engine.definitions.validate import DefinitionRefused, Problem

__all__ = [
    "DefinitionRefused",
    "DeployResult",
    "LoadedDefinition",
    "Problem",
    "ProcessDefinition",
    "check_file",
    "deploy",
    "latest_definition",
    "latest_definitions",
    "load",
    "load_by_id",
    "load_latest",
]
