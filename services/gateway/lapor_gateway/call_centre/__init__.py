"""The call-centre CSV import, a command rather than an endpoint: ``rows`` reads the export,
``transport`` talks to Kafka as any outside adapter, ``importer`` runs an import and reports it, ``cli``
is ``python -m lapor_gateway.call_centre``."""
