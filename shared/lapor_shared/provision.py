"""``python -m lapor_shared.provision``: create every catalogued topic on the Kafka the ``LAPOR_KAFKA_…``
settings name (bootstrap servers, TLS/SASL, ``LAPOR_KAFKA_REPLICATION_FACTOR``), the command topics and
streams of the agencies and admin scopes the onboarding file lists (``LAPOR_ONBOARDING_FILE``) included.
Exits non-zero, naming each topic and its error, when the broker refuses any (a one-shot job must fail, not
pass half done)."""

from __future__ import annotations

import asyncio
import sys

from lapor_shared.kafka import ProvisioningFailed, provision_topics
from lapor_shared.settings import ServiceSettings


def main() -> int:
    settings = ServiceSettings(service_name="provisioner")
    try:
        created = asyncio.run(provision_topics(
            settings.kafka_bootstrap_servers, replication_factor=settings.kafka_replication_factor,
            client_options=settings.kafka.client_options(),
        ))
    except ProvisioningFailed as exc:
        print(f"✗ topik gagal dibuat / topics not created: {exc}", file=sys.stderr)
        return 1
    print(f"✓ {created} topik baru / topics created")
    return 0


if __name__ == "__main__":
    sys.exit(main())
