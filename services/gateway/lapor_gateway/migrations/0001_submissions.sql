-- The channel messages the gateway published, and intake's answers from lapor.submissions.results.
--
-- submissions: one row per channel message the gateway received, written before it is published. No
-- contact details, except the number an SMS reply must go to (cleared once the reply is queued).
CREATE TABLE submissions (
    channel             text        NOT NULL,
    channel_message_id  text        NOT NULL,
    source              text        NOT NULL,            -- api | web | open311 | sms
    poll_token          text        NOT NULL UNIQUE,     -- for GET /api/v1/submissions/{token}, Open311 tokens
    fingerprint         text        NOT NULL,            -- sha256 of the submission, for Idempotency-Key reuse
    reply_to            text,                            -- SMS only: where the reply goes
    created_at          timestamptz NOT NULL DEFAULT now(),
    published_at        timestamptz,
    PRIMARY KEY (channel, channel_message_id)
);

-- answers: intake's answer to a channel message, recorded by the results consumer whether or not a
-- submission row exists yet (it may come after the answer: a retry of a publish that seemed to fail).
-- A submission's outcome is its answer, or pending while there is none. An acceptance replaces a
-- rejection; nothing replaces an acceptance.
CREATE TABLE answers (
    channel             text        NOT NULL,
    channel_message_id  text        NOT NULL,
    outcome             text        NOT NULL CHECK (outcome IN ('accepted', 'rejected')),
    tracking_number     text,
    complaint_id        uuid,
    reasons             jsonb,
    answered_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (channel, channel_message_id)
);
