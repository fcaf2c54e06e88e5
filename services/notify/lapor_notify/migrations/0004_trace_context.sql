-- The trace context (W3C traceparent) of the event a delivery came from, so that sending it, possibly
-- much later and in another process, continues the complaint's trace.
ALTER TABLE notifications ADD COLUMN traceparent text;
