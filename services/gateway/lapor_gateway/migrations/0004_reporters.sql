-- The reporter's side: the proof the gateway checks before it publishes a reporter's command, the
-- reporter's view of each complaint's life, and the commands it published with their outcome.

-- intake's answer carries the reporter's key in clear, for the channel to show once: it waits here until
-- the first answer that shows it (the API's 201, the web form's page, the SMS reply) takes it, and is
-- forgotten after a day when nobody ever asks.
ALTER TABLE answers ADD COLUMN reporter_key text;
CREATE INDEX answers_unshown_key ON answers (answered_at) WHERE reporter_key IS NOT NULL;

-- reporter_keys: per complaint, what proves a command comes from its reporter (from submission.accepted):
-- the SHA-256 verifier of the reporter's key (never the key) and the keyed hash of the reporter's phone
-- number (HMAC-SHA256 under LAPOR_REPORTER_HASH_KEY, as intake computes it; never the number).
CREATE TABLE reporter_keys (
    complaint_id     uuid        PRIMARY KEY,
    tracking_number  text        NOT NULL UNIQUE,
    key_verifier     bytea       NOT NULL,
    phone_hash       bytea,
    created_at       timestamptz NOT NULL DEFAULT now()
);

-- reporter_cases: the reporter's view of a complaint, projected from lapor.complaints. Unlike the public
-- complaint_view it is shown only to whoever proves to be the reporter, so it keeps what the reporter may
-- read of a rahasia complaint too. status holds lapor_shared.statuses codes.
CREATE TABLE reporter_cases (
    complaint_id        uuid        PRIMARY KEY,
    tracking_number     text,
    title               text,
    confidential        boolean     NOT NULL DEFAULT true,
    anonymous           boolean     NOT NULL DEFAULT true,
    agency_name         text,
    zone_code           text,                 -- the responsible agency's jurisdiction: the deadline's time zone
    status              text        NOT NULL DEFAULT 'submitted',
    status_before_hold  text,
    status_at           timestamptz,
    stage               text,
    due_at              timestamptz,
    close_reason        text,
    reopen_until        timestamptz,
    rated               boolean     NOT NULL DEFAULT false,
    updated_at          timestamptz NOT NULL DEFAULT now()
);

-- reporter_timeline: one row per step the reporter reads (an agency's response with its text and links,
-- the reporter's own replies, deadlines, escalations, the closing …), in the order they happened.
CREATE TABLE reporter_timeline (
    event_id      uuid        PRIMARY KEY,
    seq           bigint      GENERATED ALWAYS AS IDENTITY,   -- arrival order: one complaint's events arrive in order
    complaint_id  uuid        NOT NULL,
    occurred_at   timestamptz NOT NULL,
    kind          text        NOT NULL,
    facts         jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX reporter_timeline_of ON reporter_timeline (complaint_id, occurred_at, seq);

-- reporter_actions: every reporter command the gateway published (reply, rate, reopen) once it checked
-- the proof, written with the outbox row in one transaction, and its outcome from lapor.complaints (the
-- lifecycle event it caused, or complaint.action_rejected with the reason). reply_to and in_reply_to: an
-- SMS command's sender (until the outcome's reply is queued) and the inbound message's id.
CREATE TABLE reporter_actions (
    command_id    uuid        PRIMARY KEY,
    complaint_id  uuid        NOT NULL,
    command_type  text        NOT NULL,
    source        text        NOT NULL,        -- web | api | sms
    fingerprint   text        NOT NULL,
    reply_to      text,
    in_reply_to   text,
    outcome       text        NOT NULL DEFAULT 'pending' CHECK (outcome IN ('pending', 'accepted', 'rejected')),
    reason        jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    decided_at    timestamptz
);
CREATE INDEX reporter_actions_of ON reporter_actions (complaint_id, created_at);
