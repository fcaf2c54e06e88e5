-- Intake's private store. Reporter contact details live here and nowhere else.
CREATE SEQUENCE tracking_seq;

CREATE TABLE complaints (
    complaint_id        uuid PRIMARY KEY,
    tracking_number     text UNIQUE NOT NULL,
    channel             text NOT NULL,
    channel_message_id  text NOT NULL,
    report_type         text NOT NULL,
    title               text NOT NULL,
    region_code         text,
    anonymous           boolean NOT NULL,
    confidential        boolean NOT NULL,
    reporter_ref        uuid,
    submitted_at        timestamptz NOT NULL,
    accepted_at         timestamptz NOT NULL DEFAULT now(),
    -- Exactly one complaint per channel message, whatever the redelivery or concurrency.
    UNIQUE (channel, channel_message_id)
);

CREATE TABLE reporters (
    reporter_ref  uuid PRIMARY KEY,
    name          text,
    phone         text,
    email         text,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE rejections (
    channel             text NOT NULL,
    channel_message_id  text NOT NULL,
    reasons             jsonb NOT NULL,
    rejected_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (channel, channel_message_id)
);
