ALTER TABLE effect_typo ADD COLUMN done_at timestamptz;
