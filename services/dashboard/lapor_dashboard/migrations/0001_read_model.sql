-- The dashboard's read model: built only from the lifecycle events on lapor.complaints, so it can be
-- thrown away and rebuilt from Kafka (python -m lapor_dashboard.rebuild). Never any reporter identity:
-- no reporter ref, no contact, not even whether a reporter chose anonim.

-- One row per complaint, folded from its event log (complaint_events) after every event.
CREATE TABLE complaints (
    complaint_id      uuid PRIMARY KEY,
    tracking_number   text,
    jurisdiction_code text NOT NULL,         -- its node in the tree: the responsible agency's, or where it happened
    province_code     text,                  -- NULL for national ('ID')
    responsible_code  text NOT NULL,         -- who may read rahasia content: the agency's jurisdiction ('ID' before routing)
    agency_id         text,
    agency_name       text,
    agency_level      text,
    category          text,
    report_type       text,
    status            text NOT NULL,
    confidential      boolean NOT NULL DEFAULT false,
    title             text,                  -- shown only to viewers whose scope contains responsible_code when confidential
    received_at       timestamptz NOT NULL,
    routed_at         timestamptz,
    first_response_at timestamptz,
    answered_on_time  boolean,               -- the first response came by the deadline in force then
    stage             text,
    due_at            timestamptz,           -- the deadline the agency (or triage) owes now; NULL when none runs
    overdue           boolean NOT NULL DEFAULT false,  -- a deadline was breached and not met since
    closed_at         timestamptz,
    close_reason      text,
    rating            smallint,
    escalations       integer NOT NULL DEFAULT 0,
    escalation_level  integer NOT NULL DEFAULT 0,
    last_event_at     timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX complaints_jurisdiction ON complaints (jurisdiction_code text_pattern_ops);
CREATE INDEX complaints_province ON complaints (province_code);
CREATE INDEX complaints_tracking ON complaints (tracking_number);
CREATE INDEX complaints_due ON complaints (due_at) WHERE due_at IS NOT NULL;

-- The compact, public-safe event log of every complaint: type, time and facts without content or
-- identities (agency ids and names, stages, deadlines, ratings, reason codes).
CREATE TABLE complaint_events (
    event_id     uuid PRIMARY KEY,
    complaint_id uuid NOT NULL,
    occurred_at  timestamptz NOT NULL,
    event_type   text NOT NULL,
    facts        jsonb NOT NULL DEFAULT '{}'::jsonb,
    recorded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX complaint_events_by_complaint ON complaint_events (complaint_id, occurred_at);
