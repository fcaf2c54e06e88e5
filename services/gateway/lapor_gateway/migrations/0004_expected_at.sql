-- Open311's expected_datetime: the due time of the complaint's current deadline (followup's
-- complaint.deadline_set / deadline_extended), and the occurred_at of the deadline event that set it.
ALTER TABLE complaint_view ADD COLUMN expected_at timestamptz, ADD COLUMN deadline_event_at timestamptz;
CREATE INDEX complaint_view_region ON complaint_view (region_code text_pattern_ops) WHERE NOT confidential;
