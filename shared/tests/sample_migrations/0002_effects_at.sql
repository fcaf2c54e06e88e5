ALTER TABLE effects ADD COLUMN done_at timestamptz NOT NULL DEFAULT now();
