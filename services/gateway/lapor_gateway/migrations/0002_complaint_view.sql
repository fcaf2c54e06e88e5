-- The public view of every complaint (Open311 requests, the status pages), projected from
-- lapor.complaints (and from intake's acceptances on lapor.submissions.results, which carry the same
-- content). Rahasia (confidential) complaints keep no content here at all, and no complaint keeps
-- anything about its reporter. lifecycle_status holds the public pages' status codes (diterima, …).
CREATE TABLE complaint_view (
    complaint_id      uuid        PRIMARY KEY,
    tracking_number   text        UNIQUE,
    channel           text,
    report_type       text,
    service_code      text,
    title             text,        -- NULL when confidential
    description       text,        -- NULL when confidential
    address           text,        -- NULL when confidential
    latitude          double precision,
    longitude         double precision,
    media_url         text,
    region_code       text,
    confidential      boolean     NOT NULL DEFAULT true,   -- until the accepted event says otherwise
    anonymous         boolean     NOT NULL DEFAULT true,
    agency_name       text,
    lifecycle_status  text        NOT NULL DEFAULT 'diterima',
    open311_status    text        NOT NULL DEFAULT 'open' CHECK (open311_status IN ('open', 'closed')),
    status_notes      text,
    requested_at      timestamptz,
    updated_at        timestamptz,
    status_event_at   timestamptz                           -- occurred_at of the event that set the status
);
CREATE INDEX complaint_view_listing ON complaint_view (requested_at DESC) WHERE NOT confidential;
