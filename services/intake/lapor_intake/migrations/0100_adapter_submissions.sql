-- Channel adapters (lapor_intake.adapters): the submissions they published and the answer intake gave.
-- One row per channel message. The outcome is filled from lapor.submissions.results (or, when a result
-- was missed, from intake's own complaints/rejections, read-only). No contact details are kept here,
-- except the phone number an SMS reply must go to (cleared when the reply is sent).
CREATE TABLE adapter_submissions (
    channel             text        NOT NULL,
    channel_message_id  text        NOT NULL,
    source              text        NOT NULL,            -- api | web | open311 | sms
    poll_token          text        NOT NULL UNIQUE,     -- for GET /api/v1/submissions/{token}, Open311 tokens
    fingerprint         text        NOT NULL,            -- sha256 of the submission, for Idempotency-Key reuse
    reply_to            text,                            -- SMS only: where the reply goes
    created_at          timestamptz NOT NULL DEFAULT now(),
    published_at        timestamptz,
    outcome             text        NOT NULL DEFAULT 'pending' CHECK (outcome IN ('pending', 'accepted', 'rejected')),
    tracking_number     text,
    complaint_id        uuid,
    reasons             jsonb,
    decided_at          timestamptz,
    PRIMARY KEY (channel, channel_message_id)
);
CREATE INDEX adapter_submissions_pending ON adapter_submissions (created_at) WHERE outcome = 'pending';
