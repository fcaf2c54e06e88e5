-- lapor_complaints_by_status counts complaints per status every few seconds: an index-only scan.
CREATE INDEX complaints_status ON complaints (status);
