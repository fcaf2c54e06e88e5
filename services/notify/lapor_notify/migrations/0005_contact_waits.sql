-- Reporter messages waiting for a contact, by complaint: the contact's release and the worker's sweep
-- (which promotes waiting rows whose contact is stored) read only these rows.
CREATE INDEX notifications_waiting ON notifications (complaint_id) WHERE status = 'waiting_contact';
