-- The officer console's own schema. Its read model is built only from the onboarded agencies' streams
-- (lapor.jurisdiction.<path>.agency.<agency id>): never a reporter's identity (no reporter ref, no contact).

-- Officers who may log in, each bound to one onboarded agency; the agency of every command comes from here.
CREATE TABLE officers (
    username      text PRIMARY KEY,
    password_hash text NOT NULL,             -- scrypt$n$r$p$salt$hash (lapor_shared.web_sessions)
    agency_id     text NOT NULL,
    role          text NOT NULL CHECK (role IN ('officer', 'supervisor')),
    display_name  text,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- Sessions (lapor_shared.web_sessions): only the SHA-256 of the random session id is kept.
CREATE TABLE sessions (
    id_hash     bytea PRIMARY KEY,
    username    text NOT NULL REFERENCES officers (username) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    ended_at    timestamptz
);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- One row per complaint, folded from its timeline after every event. agency_id: who answers for it now.
CREATE TABLE complaints (
    complaint_id      uuid PRIMARY KEY,
    tracking_number   text,
    agency_id         text,
    jurisdiction_code text,
    category          text,
    report_type       text,
    confidential      boolean NOT NULL DEFAULT true,
    anonymous         boolean NOT NULL DEFAULT false,
    title             text,
    description       text,
    incident_date     date,
    location          jsonb NOT NULL DEFAULT '{}'::jsonb,   -- region code, address text, coordinates
    attachments       jsonb NOT NULL DEFAULT '[]'::jsonb,
    status            text NOT NULL,
    stage             text,
    due_at            timestamptz,
    overdue           boolean NOT NULL DEFAULT false,
    submitted_at      timestamptz,
    routed_at         timestamptz,
    first_response_at timestamptz,
    answered_on_time  boolean,
    closed_at         timestamptz,
    rating            smallint,
    last_event_at     timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX complaints_agency_due ON complaints (agency_id, due_at);
CREATE INDEX complaints_tracking ON complaints (tracking_number);

-- What each agency read of a complaint on its own stream: the complaint page's timeline. owner_id is the
-- agency whose stream it was (a forwarding reaches both agencies); body is the event's payload without any
-- reporter reference.
CREATE TABLE timeline (
    event_id     uuid NOT NULL,
    owner_id     text NOT NULL,
    complaint_id uuid NOT NULL,
    event_type   text NOT NULL,
    occurred_at  timestamptz NOT NULL,
    agency_id    text,                    -- the envelope's: who answered for the complaint then
    body         jsonb NOT NULL,
    PRIMARY KEY (event_id, owner_id)
);
CREATE INDEX timeline_by_complaint ON timeline (complaint_id, occurred_at);

-- Agencies' names as the events named them (routed, forwarded, escalated): the forward search shows them.
CREATE TABLE agency_names (
    agency_id         text PRIMARY KEY,
    name              text NOT NULL,
    jurisdiction_code text NOT NULL
);

-- Every command an officer sent (written with its outbox row in one transaction) and its outcome, from the
-- lifecycle event that answered it or complaint.action_rejected. The internal note stays here and in
-- followup: it is never published to the reporter.
CREATE TABLE actions (
    command_id    uuid PRIMARY KEY,
    complaint_id  uuid NOT NULL,
    agency_id     text NOT NULL,
    username      text NOT NULL,
    command_type  text NOT NULL,
    details       jsonb NOT NULL DEFAULT '{}'::jsonb,
    internal_note text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    outcome       text NOT NULL DEFAULT 'pending' CHECK (outcome IN ('pending', 'accepted', 'rejected')),
    reason        jsonb,
    decided_at    timestamptz
);
CREATE INDEX actions_by_complaint ON actions (complaint_id, created_at);
