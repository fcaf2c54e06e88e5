-- Notifications become deliveries with a schedule: one row per (source event, recipient, channel),
-- recorded by the consumer, sent by the delivery worker (claim with a lease, send, mark).
ALTER TABLE notifications
    ALTER COLUMN status SET DEFAULT 'pending',
    ADD COLUMN source_event_type text,
    ADD COLUMN correlation_id    uuid,
    ADD COLUMN jurisdiction_code text,
    ADD COLUMN languages         text[] NOT NULL DEFAULT '{id}',
    ADD COLUMN sms_text          text NOT NULL DEFAULT '',
    ADD COLUMN data              jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN attempts          integer NOT NULL DEFAULT 0,
    ADD COLUMN next_attempt_at   timestamptz,
    ADD COLUMN lease_until       timestamptz,
    ADD COLUMN lease_token       uuid,
    ADD COLUMN last_error        text,
    ADD COLUMN sent_at           timestamptz,
    ADD COLUMN digest_id         uuid,
    ADD COLUMN updated_at        timestamptz;

-- status: pending (due at next_attempt_at) | sending (leased until lease_until) | sent | failed
--       | waiting_contact (a reporter message waiting for the contact until next_attempt_at) | expired
--       | digest (an officer item folded at next_attempt_at) | digested (into digest_id)
--       | skipped (no address on this channel) | cancelled (contact erased)
CREATE INDEX notifications_due ON notifications (next_attempt_at)
    WHERE status IN ('pending', 'sending', 'waiting_contact', 'digest');
CREATE INDEX notifications_lease ON notifications (lease_until) WHERE status = 'sending';
CREATE INDEX notifications_recipient_sent ON notifications (recipient_ref, channel, sent_at);

-- What notify knows about a complaint, for messages about later events (no reporter identity).
CREATE TABLE complaints (
    complaint_id      uuid PRIMARY KEY,
    tracking_number   text,
    title             text,
    agency_id         text,
    agency_name       text,
    anonymous         boolean NOT NULL DEFAULT false,
    confidential      boolean NOT NULL DEFAULT false,
    updated_at        timestamptz NOT NULL DEFAULT now()
);

-- Reporter contacts, encrypted at rest exactly as intake sent them; decrypted only at send time.
-- The reporter ref is kept only as a SHA-256 hash (enough to erase on request).
CREATE TABLE contacts (
    complaint_id      uuid PRIMARY KEY,
    reporter_ref_hash text NOT NULL,
    source_channel    text NOT NULL,
    anonymous         boolean NOT NULL,
    key_id            text NOT NULL,
    ciphertext        text NOT NULL,
    received_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contacts_reporter ON contacts (reporter_ref_hash);

-- Erasure tombstones: a late or replayed contact for an erased reporter is not stored again.
CREATE TABLE erased_reporters (
    reporter_ref_hash text PRIMARY KEY,
    erased_at         timestamptz NOT NULL
);
CREATE TABLE erased_complaints (
    complaint_id      uuid PRIMARY KEY,
    erased_at         timestamptz NOT NULL
);

-- Officer, agency and supervisor addresses by recipient ref (agency:<agency_id>); agency:* is the
-- fallback whose values may contain {agency_id}.
CREATE TABLE recipients (
    recipient_ref     text PRIMARY KEY,
    display_name      text NOT NULL DEFAULT '',
    languages         text[] NOT NULL DEFAULT '{id}',
    email             text,
    phone             text,
    webhook_url       text,
    webhook_secret    text,
    digest            text NOT NULL DEFAULT 'none' CHECK (digest IN ('none', 'hourly', 'daily')),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

-- The in-app inbox: what the status page shows (GET /api/v1/inbox/{tracking_number}).
CREATE TABLE inbox_messages (
    delivery_id       uuid PRIMARY KEY,
    complaint_id      uuid,
    tracking_number   text,
    recipient_kind    text NOT NULL,
    recipient_ref     text NOT NULL,
    template          text NOT NULL,
    subject           text NOT NULL,
    body              text NOT NULL,
    created_at        timestamptz NOT NULL
);
CREATE INDEX inbox_messages_tracking ON inbox_messages (tracking_number, created_at);

-- Per recipient and channel, sends counted per hour window (the rate limit).
CREATE TABLE rate_windows (
    recipient_ref     text NOT NULL,
    channel           text NOT NULL,
    window_start      timestamptz NOT NULL,
    sent              integer NOT NULL,
    PRIMARY KEY (recipient_ref, channel, window_start)
);
