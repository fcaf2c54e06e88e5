-- Intake core: possible duplicates, abuse limits, keyed identity hashes, erasure of contact details.

-- Trigram similarity for near-identical texts. A trusted extension (PostgreSQL 13+): the database
-- owner may create it; it lands in the first schema of the search path (intake).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

ALTER TABLE complaints
    ADD COLUMN text_fingerprint       text,   -- normalised title + description (duplicates.fingerprint)
    ADD COLUMN possible_duplicate_of  uuid REFERENCES complaints (complaint_id),
    ADD COLUMN submission_event_id    uuid;   -- the complaint.submitted event that created it

-- Per-channel rate limit: the look-up reads one channel's rows of the last window, nothing older.
CREATE INDEX complaints_channel_recent ON complaints (channel, accepted_at);
CREATE INDEX complaints_reporter_ref ON complaints (reporter_ref) WHERE reporter_ref IS NOT NULL;

-- Keyed hashes (HMAC-SHA256) of the normalised phone number and e-mail address: an erasure request
-- finds every contact row of the same person by them. Deleted with the row.
ALTER TABLE reporters
    ADD COLUMN phone_hash  bytea,
    ADD COLUMN email_hash  bytea;
CREATE INDEX reporters_phone_hash ON reporters (phone_hash) WHERE phone_hash IS NOT NULL;
CREATE INDEX reporters_email_hash ON reporters (email_hash) WHERE email_hash IS NOT NULL;

-- Who submitted what recently, by keyed hash only (never a raw number or address). One row per
-- hash per accepted complaint. Serves the per-reporter rate limit and the duplicate look-up, both
-- bounded by (identity_hash, accepted_at); rows older than the longest window are pruned as new
-- complaints arrive, so the table holds only the last day or so.
CREATE TABLE reporter_activity (
    identity_hash  bytea       NOT NULL,
    accepted_at    timestamptz NOT NULL,
    complaint_id   uuid        NOT NULL REFERENCES complaints (complaint_id) ON DELETE CASCADE,
    PRIMARY KEY (identity_hash, accepted_at, complaint_id)
);
CREATE INDEX reporter_activity_expiry ON reporter_activity (accepted_at);

-- Erased reporters: only the opaque ref and when it happened remain.
CREATE TABLE erasures (
    reporter_ref  uuid        PRIMARY KEY,
    erased_at     timestamptz NOT NULL DEFAULT now(),
    command_id    uuid
);

-- A channel that re-submits a rejected message (new event id) gets a new answer each time.
ALTER TABLE rejections ADD COLUMN times integer NOT NULL DEFAULT 1;
