-- Hostile input: an event id reused with another body is told apart from a redelivery; a message a
-- consumer refused is kept (in the service's own store) for an operator's replay; an outbox row the
-- broker refuses for good is parked with its reason instead of blocking every row behind it.

-- A digest of the processed envelope: the same event id with a different body is not a redelivery.
ALTER TABLE inbox ADD COLUMN digest bytea;

-- The originals of dead letters, for `python -m lapor_shared.replay` (the topic copy is redacted).
CREATE TABLE dead_letters (
    id                bigserial   PRIMARY KEY,
    consumer          text        NOT NULL,
    message_id        text        NOT NULL,
    reason            text        NOT NULL,
    source_topic      text        NOT NULL,
    source_partition  integer     NOT NULL,
    source_offset     bigint      NOT NULL,
    key               bytea,
    headers           jsonb       NOT NULL DEFAULT '[]'::jsonb,   -- [[name, base64 value], ...]
    value             bytea,                                     -- NULL when too large to keep
    value_size        integer     NOT NULL,
    failed_at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    replayed_at       timestamptz
);
CREATE INDEX dead_letters_failed_at ON dead_letters (failed_at);

-- Parking: set aside with the reason; later rows of the same topic and key wait behind it (per-key
-- order) until an operator retries or discards it; every other row flows on.
ALTER TABLE outbox
    ADD COLUMN attempts     integer NOT NULL DEFAULT 0,
    ADD COLUMN parked_at    timestamptz,
    ADD COLUMN park_reason  text,
    ADD COLUMN discarded_at timestamptz;
CREATE INDEX outbox_parked ON outbox (topic, key, id)
    WHERE parked_at IS NOT NULL AND published_at IS NULL AND discarded_at IS NULL;
