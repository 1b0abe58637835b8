"""How this engine configures SpiffWorkflow: the parser, our service-task class, and the
serializer that knows it.

Service tasks do not run inline. ``AsyncServiceTask`` leaves the task STARTED when the
engine reaches it; the runtime turns it into an outbox row that a Celery worker executes,
and completes the task later with the operation's result.
"""

from __future__ import annotations

from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import ServiceTaskParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.serializer.task_spec import ServiceTaskConverter
from SpiffWorkflow.spiff.specs.defaults import ServiceTask


class AsyncServiceTask(ServiceTask):
    """A service task that waits (STARTED) for a worker instead of calling out inline."""

    def _execute(self, task):  # type: ignore[no-untyped-def]
        return None


class JuntosParser(SpiffBpmnParser):
    OVERRIDE_PARSER_CLASSES = {  # noqa: RUF012 (SpiffWorkflow's own class attribute)
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("serviceTask"): (ServiceTaskParser, AsyncServiceTask),
    }


def serializer_config() -> dict:  # type: ignore[type-arg]
    """SpiffWorkflow's serializer configuration, knowing our service-task class."""
    config = dict(SPIFF_CONFIG)
    config.pop(ServiceTask, None)
    config[AsyncServiceTask] = ServiceTaskConverter
    return config
