"""Developer and operator tools, run from the repository root as ``python -m tools.<name>`` (the Makefile's
targets do): ``run_platform`` (``make run``), ``publish_sample``, ``sinks``, ``bench*``, ``chaos*``,
``event_schemas``, ``asyncapi_docs``, ``republish_outbox``, ``bootstrap_uv``. Never imported by a service."""
