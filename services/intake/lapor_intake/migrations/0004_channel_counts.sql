-- Per-channel acceptance counts in fixed windows, so the channel rate limit reads a few rows instead of
-- counting every recent complaint of the channel (which grew with the rate itself: at 100 complaints/s a
-- 60 s window meant 6,000 index entries, and their heap rows, read for every new complaint).
-- Each connection counts in its own shard (its backend pid modulo 16): two transactions of one channel
-- never wait for each other's row lock. ratelimit.py weighs the previous window into a sliding count.
CREATE TABLE channel_counts (
    channel       text        NOT NULL,
    window_start  timestamptz NOT NULL,
    shard         smallint    NOT NULL,
    accepted      integer     NOT NULL,
    PRIMARY KEY (channel, window_start, shard)
);

-- the per-channel count no longer reads the complaints; nothing else reads by channel and time
DROP INDEX complaints_channel_recent;
