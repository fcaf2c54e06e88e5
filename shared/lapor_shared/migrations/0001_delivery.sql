-- Delivery tables of every service (applied into each service's own schema).

-- Outbox: events leave the service only through here, written in the same transaction as the
-- state change that caused them. The relay publishes rows in id order and marks them published.
CREATE TABLE outbox (
    id            bigserial PRIMARY KEY,
    topic         text        NOT NULL,
    key           bytea,
    headers       jsonb       NOT NULL DEFAULT '{}'::jsonb,
    payload       bytea       NOT NULL,
    event_id      uuid,
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    published_at  timestamptz
);
-- Finding the next rows to publish costs the same however much history is kept.
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
CREATE INDEX outbox_published_at ON outbox (published_at) WHERE published_at IS NOT NULL;

-- Inbox: the events this service has processed, written in the same transaction as their effect,
-- so a redelivered event is recognised and skipped.
CREATE TABLE inbox (
    consumer      text        NOT NULL,
    message_id    text        NOT NULL,
    processed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, message_id)
);
CREATE INDEX inbox_processed_at ON inbox (processed_at);
