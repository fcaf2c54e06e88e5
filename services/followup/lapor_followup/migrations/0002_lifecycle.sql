-- The whole lifecycle: the complaint's current state (the read models' source), its public history,
-- internal notes, the clocks' timers, the calendar override table, the policy record, agency credentials.

ALTER TABLE complaints
    ADD COLUMN correlation_id     uuid,
    ADD COLUMN agency_name        text NOT NULL DEFAULT '',
    ADD COLUMN agency_level       text NOT NULL DEFAULT 'regency',
    ADD COLUMN title              text,
    ADD COLUMN category           text,
    ADD COLUMN route_count        integer NOT NULL DEFAULT 1,
    ADD COLUMN status_before_hold text,
    -- the clock that runs now (verification, follow_up or auto_close) and when it ends
    ADD COLUMN stage              text,
    ADD COLUMN due_at             timestamptz,
    ADD COLUMN stage_working_days integer,
    ADD COLUMN extension_days     integer NOT NULL DEFAULT 0,
    -- escalation: how many levels up, and the offices at those levels (they may act too)
    ADD COLUMN escalation_level   integer NOT NULL DEFAULT 0,
    ADD COLUMN escalated_to       text[] NOT NULL DEFAULT '{}',
    ADD COLUMN first_response_at  timestamptz,
    ADD COLUMN answered_in_time   boolean,
    ADD COLUMN last_response_at   timestamptz,
    ADD COLUMN closed_at          timestamptz,
    ADD COLUMN close_reason       text,
    ADD COLUMN reopen_until       timestamptz,
    ADD COLUMN rating             smallint CHECK (rating BETWEEN 1 AND 5),
    ADD COLUMN rated_at           timestamptz,
    ADD COLUMN hard_cap_at        timestamptz;

CREATE UNIQUE INDEX complaints_tracking_unique ON complaints (tracking_number);
DROP INDEX complaints_tracking;
-- an agency's work list: its open complaints by deadline
CREATE INDEX complaints_worklist ON complaints (agency_id, due_at) WHERE status <> 'closed';
CREATE INDEX complaints_escalated ON complaints USING gin (escalated_to) WHERE status <> 'closed';
-- statistics of a subtree: jurisdiction_code = '18' OR jurisdiction_code LIKE '18.%'
CREATE INDEX complaints_jurisdiction ON complaints (jurisdiction_code text_pattern_ops);

-- Every state change of a complaint, in order: the reporter's status history is rendered from here.
-- `facts` holds only what the reporter may see (agency names, dates, the follow-up text); internal
-- notes live in their own table and identities are never stored here.
CREATE TABLE history (
    history_id    bigserial PRIMARY KEY,
    complaint_id  uuid NOT NULL REFERENCES complaints,
    event_id      uuid NOT NULL,
    event_type    text NOT NULL,
    occurred_at   timestamptz NOT NULL,
    status        text NOT NULL,
    agency_id     text,
    facts         jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX history_of_complaint ON history (complaint_id, history_id);

CREATE TABLE internal_notes (
    note_id       bigserial PRIMARY KEY,
    complaint_id  uuid NOT NULL REFERENCES complaints,
    agency_id     text NOT NULL,
    note          text NOT NULL,
    created_at    timestamptz NOT NULL
);
CREATE INDEX internal_notes_of_complaint ON internal_notes (complaint_id, note_id);

-- Timers: one row per deadline, warning or escalation step. A timer is due when due_at has passed and
-- it was neither fired nor cancelled; the poller claims due rows with FOR UPDATE SKIP LOCKED and marks
-- them fired in the same transaction as their effect and its outbox rows.
ALTER TABLE timers DROP CONSTRAINT timers_complaint_id_stage_due_at_key;
ALTER TABLE timers
    ADD COLUMN kind             text NOT NULL DEFAULT 'deadline'
        CHECK (kind IN ('deadline', 'warning', 'escalation')),
    ADD COLUMN escalation_level integer NOT NULL DEFAULT 0,
    ADD COLUMN target_due_at    timestamptz,
    ADD COLUMN policy_version   text,
    ADD COLUMN working_days     integer,
    ADD COLUMN created_at       timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN cancelled_at     timestamptz,
    ADD COLUMN outcome          text,
    ADD COLUMN fired_by         text,
    ADD COLUMN attempts         integer NOT NULL DEFAULT 0,
    ADD COLUMN last_error       text;
DROP INDEX timers_pending;
-- Due timers are found through this partial index: it holds only live timers, so the cost of the
-- poller's query stays flat however many fired or cancelled timers history keeps.
CREATE INDEX timers_due ON timers (due_at) WHERE fired_at IS NULL AND cancelled_at IS NULL;
CREATE INDEX timers_of_complaint ON timers (complaint_id) WHERE fired_at IS NULL AND cancelled_at IS NULL;

-- Operator-maintained calendar decisions (new SKB decrees): working = false adds a holiday,
-- working = true removes one. The service loads the table at start and refreshes it periodically.
CREATE TABLE calendar_overrides (
    day         date PRIMARY KEY,
    working     boolean NOT NULL,
    name        text NOT NULL,
    decree      text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- The deadline policy versions this database has used, as they were: an edited version is refused.
CREATE TABLE deadline_policies (
    version      text PRIMARY KEY,
    fingerprint  text NOT NULL,
    document     jsonb NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now()
);

-- Per-agency credentials for the work list: only the SHA-256 of each bearer token is stored.
CREATE TABLE agency_credentials (
    token_sha256  text PRIMARY KEY,
    agency_id     text NOT NULL,
    label         text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    revoked_at    timestamptz
);
CREATE INDEX agency_credentials_agency ON agency_credentials (agency_id);
