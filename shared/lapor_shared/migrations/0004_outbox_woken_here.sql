-- A consumer's transaction whose service's relay leads in the same process wakes that relay itself
-- once it commits, and tells the trigger so in the statement that writes its rows: PostgreSQL wakes
-- every connection listening in the database at each NOTIFY, whatever its channel (issue 17).
CREATE OR REPLACE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('lapor.outbox_woken_here', true) IS DISTINCT FROM 'on' THEN
        PERFORM pg_notify('lapor_outbox_' || TG_TABLE_SCHEMA, '');
    END IF;
    RETURN NULL;
END $$;
