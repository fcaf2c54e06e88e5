-- When a complaint was closed: its reporter's contact is deleted after the reopen window.
ALTER TABLE complaints ADD COLUMN closed_at timestamptz;
