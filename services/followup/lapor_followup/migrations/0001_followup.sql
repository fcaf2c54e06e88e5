-- Followup's store: each routed complaint, and its durable timers.
CREATE TABLE complaints (
    complaint_id      uuid PRIMARY KEY,
    tracking_number   text NOT NULL,
    agency_id         text NOT NULL,
    jurisdiction_code text NOT NULL,
    report_type       text NOT NULL,
    status            text NOT NULL,
    policy_version    text NOT NULL,
    anonymous         boolean NOT NULL,
    confidential      boolean NOT NULL,
    routed_at         timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX complaints_tracking ON complaints (tracking_number);

CREATE TABLE timers (
    timer_id      bigserial PRIMARY KEY,
    complaint_id  uuid NOT NULL REFERENCES complaints,
    stage         text NOT NULL,
    agency_id     text,
    due_at        timestamptz NOT NULL,
    fired_at      timestamptz,
    UNIQUE (complaint_id, stage, due_at)
);
-- Due timers are found through this partial index: the cost does not grow with history.
CREATE INDEX timers_pending ON timers (due_at) WHERE fired_at IS NULL;
