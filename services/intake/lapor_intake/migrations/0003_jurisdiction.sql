-- The jurisdiction responsible for each complaint, as routing last decided it (complaint.routed,
-- needs_triage, forwarded on lapor.complaints): an admin may erase the contact a complaint names only
-- when the complaint is in the admin's scope. NULL until routing has decided.
ALTER TABLE complaints ADD COLUMN jurisdiction_code text;
