"""Evidence settings (``LAPOR_EVIDENCE__…``), composed into the settings of every service that stores,
signs or serves evidence (the gateway, the dashboard, later the console)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, SecretStr

from lapor_shared.evidence.limits import EvidenceLimits
from lapor_shared.evidence.links import LinkSigner
from lapor_shared.evidence.local import LocalDirectoryStore
from lapor_shared.evidence.s3 import S3Store
from lapor_shared.evidence.store import ObjectStore

DEV_LINK_SECRET = "lapor-evidence-dev-link-secret"


class EvidenceSettings(BaseModel):
    backend: Literal["local", "s3"] = "local"
    local_dir: str = ".run/evidence"
    """The local backend's directory (``make run``: under its run directory)."""
    s3_bucket: str = "lapor-evidence"
    s3_endpoint: str | None = None
    """An S3-compatible endpoint (MinIO: ``http://minio:9000``); None: AWS S3 itself."""
    s3_region: str = "us-east-1"
    s3_access_key_id: SecretStr | None = None
    s3_secret_access_key: SecretStr | None = None
    """Credentials, from secrets; both None: the platform's own (an IAM role, a web identity)."""
    s3_allow_http: bool = False
    """Only for a MinIO inside the same private network (compose)."""
    link_secret: SecretStr = SecretStr(DEV_LINK_SECRET)
    """HMAC key of signed links: the same in every service that signs or serves them. Set in production."""
    link_ttl_s: int = Field(default=900, ge=30, le=24 * 3600)
    """How long a signed link works."""
    public_base_url: str = ""
    """Where the gateway serves ``/bukti`` as seen by a reader (``https://lapor.go.id``); empty: relative."""
    orphan_age_s: float = Field(default=24 * 3600.0, gt=0)
    """An upload never named by a submission is deleted this long after it was written."""
    sweep_interval_s: float = Field(default=600.0, gt=0)
    archived_retention_s: float = Field(default=90 * 24 * 3600.0, ge=0)
    """An archived complaint's files are deleted this long after the archiving (docs/privacy.md)."""
    limits: EvidenceLimits = EvidenceLimits()

    def is_development_secret(self) -> bool:
        return self.link_secret.get_secret_value() == DEV_LINK_SECRET

    def signer(self) -> LinkSigner:
        return LinkSigner(self.link_secret.get_secret_value(), self.link_ttl_s, self.public_base_url)

    def store(self) -> ObjectStore:
        if self.backend == "s3":
            key, secret = self.s3_access_key_id, self.s3_secret_access_key
            return S3Store(self.s3_bucket, endpoint=self.s3_endpoint, region=self.s3_region,
                           access_key_id=key.get_secret_value() if key else None,
                           secret_access_key=secret.get_secret_value() if secret else None,
                           allow_http=self.s3_allow_http)
        return LocalDirectoryStore(self.local_dir)
