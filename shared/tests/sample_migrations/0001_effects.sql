-- What a test handler does to the world: one row per event it handled.
CREATE TABLE effects (
    event_id  uuid PRIMARY KEY,
    note      text NOT NULL
);
