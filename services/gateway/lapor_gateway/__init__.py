"""The channel gateway: the platform's own channels in front of Kafka.

An HTTP API and a citizen web form, Open311 GeoReport v2, the SMS 1708 webhook, and the call-centre
CSV import (``python -m lapor_gateway.call_centre``). Each publishes ``complaint.submitted`` on
``lapor.submissions`` and learns intake's answer from ``lapor.submissions.results``, exactly as an
outside channel adapter would: the gateway shares nothing with intake but the topics. Its status
pages and Open311 read a public projection of ``lapor.complaints`` in its own schema.
"""
