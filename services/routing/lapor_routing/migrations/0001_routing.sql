-- Routing's store: the decision taken for each complaint, with its reason.
CREATE TABLE routing_decisions (
    complaint_id      uuid PRIMARY KEY,
    tracking_number   text NOT NULL,
    agency_id         text,
    jurisdiction_code text NOT NULL,
    reason_code       text NOT NULL,
    reason            jsonb NOT NULL,
    anonymous         boolean NOT NULL,
    confidential      boolean NOT NULL,
    decided_at        timestamptz NOT NULL DEFAULT now()
);
