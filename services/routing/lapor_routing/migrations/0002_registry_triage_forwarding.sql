-- The agency registry, routing's view of each complaint, the triage queue, and a history of decisions.

-- Agencies: the source of truth of the registry (routing keeps an in-memory snapshot of it).
-- categories: taxonomy codes handled ('umum' = the government's general complaints office).
-- source: 'seed' rows are refreshed by the seed at startup; 'command' rows were set at run time and
-- are never overwritten by the seed.
CREATE TABLE agencies (
    agency_id           text PRIMARY KEY,
    name                text        NOT NULL,
    jurisdiction_code   text        NOT NULL,
    level               text        NOT NULL CHECK (level IN ('national', 'province', 'regency')),
    categories          text[]      NOT NULL DEFAULT '{}',
    parent_id           text REFERENCES agencies (agency_id) DEFERRABLE INITIALLY DEFERRED,
    channels            text[]      NOT NULL DEFAULT '{}',
    active              boolean     NOT NULL DEFAULT true,
    source              text        NOT NULL CHECK (source IN ('seed', 'command')),
    deactivation_reason text,
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agencies_jurisdiction ON agencies (jurisdiction_code);

-- One row, changed by every change of the registry, so each replica knows when its snapshot is stale.
-- revision is random (a rolled-back change never leaves its revision behind); version counts changes.
CREATE TABLE registry_state (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version   bigint  NOT NULL,
    revision  uuid    NOT NULL
);
INSERT INTO registry_state (singleton, version, revision) VALUES (true, 0, gen_random_uuid());

-- Every registry command and what became of it (applied, or rejected with the reasons).
CREATE TABLE registry_commands (
    command_id   uuid PRIMARY KEY,
    command_type text        NOT NULL,
    agency_id    text        NOT NULL,
    outcome      text        NOT NULL CHECK (outcome IN ('applied', 'rejected')),
    reasons      jsonb       NOT NULL DEFAULT '[]'::jsonb,
    received_at  timestamptz NOT NULL DEFAULT now()
);

-- Routing's view of each complaint: who is responsible now, and what is needed to route it again
-- (content has no reporter_ref when the reporter chose anonim).
CREATE TABLE complaints (
    complaint_id      uuid PRIMARY KEY,
    tracking_number   text        NOT NULL,
    correlation_id    uuid        NOT NULL,
    status            text        NOT NULL CHECK (status IN ('routed', 'triage', 'held', 'archived')),
    agency_id         text,
    jurisdiction_code text        NOT NULL,
    route_count       integer     NOT NULL DEFAULT 0,
    forward_count     integer     NOT NULL DEFAULT 0,
    agency_path       text[]      NOT NULL DEFAULT '{}',
    content           jsonb       NOT NULL,
    anonymous         boolean     NOT NULL,
    confidential      boolean     NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

-- The triage queue: complaints waiting for an admin at the national (ID) or a provincial level.
CREATE TABLE triage (
    complaint_id        uuid PRIMARY KEY REFERENCES complaints (complaint_id),
    triage_jurisdiction text        NOT NULL,
    state               text        NOT NULL CHECK (state IN ('waiting', 'held', 'dispositioned', 'archived')),
    reason_code         text        NOT NULL,
    reason              jsonb       NOT NULL,
    entered_at          timestamptz NOT NULL DEFAULT now(),
    decided_at          timestamptz,
    decision            text CHECK (decision IN ('disposition', 'hold', 'archive')),
    decided_by          text,
    decision_reason     text,
    agency_id           text
);
CREATE INDEX triage_open ON triage (triage_jurisdiction, entered_at) WHERE state IN ('waiting', 'held');

-- routing_decisions becomes the history of every decision for a complaint (first routing, each
-- forwarding, each triage decision); the first one stays unique per complaint (idempotency).
ALTER TABLE routing_decisions DROP CONSTRAINT routing_decisions_pkey;
ALTER TABLE routing_decisions ADD COLUMN decision_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;
ALTER TABLE routing_decisions ADD COLUMN step text NOT NULL DEFAULT 'accepted'
    CHECK (step IN ('accepted', 'forward', 'triage_decision'));
ALTER TABLE routing_decisions ADD COLUMN outcome text NOT NULL DEFAULT 'routed'
    CHECK (outcome IN ('routed', 'triage', 'held', 'archived'));
UPDATE routing_decisions SET outcome = 'triage' WHERE agency_id IS NULL;
ALTER TABLE routing_decisions ADD COLUMN route_count integer;
ALTER TABLE routing_decisions ADD COLUMN actor text;
ALTER TABLE routing_decisions ADD COLUMN cause_event_id uuid;
CREATE UNIQUE INDEX routing_decisions_first ON routing_decisions (complaint_id) WHERE step = 'accepted';
CREATE INDEX routing_decisions_by_complaint ON routing_decisions (complaint_id, decision_id);
