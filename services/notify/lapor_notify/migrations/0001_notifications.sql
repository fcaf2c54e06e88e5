-- Notify's store: one row per (source event, recipient, channel) — the exactly-once guard.
CREATE TABLE notifications (
    notification_id   uuid PRIMARY KEY,
    source_event_id   uuid NOT NULL,
    complaint_id      uuid,
    tracking_number   text,
    recipient_kind    text NOT NULL,
    recipient_ref     text NOT NULL,
    channel           text NOT NULL,
    template          text NOT NULL,
    subject           text NOT NULL,
    body              text NOT NULL,
    status            text NOT NULL DEFAULT 'sent',
    created_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source_event_id, recipient_ref, channel)
);
CREATE INDEX notifications_complaint ON notifications (complaint_id);
