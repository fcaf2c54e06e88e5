"""lapor_shared: the LAPOR! event contract and plumbing shared by every service.

A library, never run on its own and free of business rules: events and topics (the contract),
settings parts, logging, Kafka and PostgreSQL helpers, the outbox/inbox delivery machinery,
embedded infrastructure for development and tests.
"""
