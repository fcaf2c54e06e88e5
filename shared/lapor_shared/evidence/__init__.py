"""Photos and documents as evidence (issue 18): an object store, a sanitiser, limits, signed links and
the upload helper channels call. ``docs/evidence.md`` tells the whole story."""

from lapor_shared.evidence.limits import EvidenceLimits
from lapor_shared.evidence.links import LinkSigner
from lapor_shared.evidence.sanitise import Refused, Sanitised, sanitise
from lapor_shared.evidence.settings import EvidenceSettings
from lapor_shared.evidence.store import ObjectNotFound, ObjectStore
from lapor_shared.evidence.uploads import EvidenceUploads, Uploaded

__all__ = ["EvidenceLimits", "EvidenceSettings", "EvidenceUploads", "LinkSigner", "ObjectNotFound", "ObjectStore",
           "Refused", "Sanitised", "Uploaded", "sanitise"]
