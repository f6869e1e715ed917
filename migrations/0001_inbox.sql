-- 0001_inbox: the durable inbox of Telegram updates, and the people who send them.
--
-- A webhook delivery is acknowledged only after its row is committed here. Workers claim rows
-- (state queued -> working, with a lease), process them, and finish them (done, or queued again
-- with a later next_attempt_at, or dead with the last error). Done and dead rows are kept for
-- INBOX_RETENTION_DAYS so redeliveries of the same update_id are recognised, then pruned.

CREATE TABLE updates (
    update_id        bigint      PRIMARY KEY,
    chat_id          bigint,                         -- NULL: the update belongs to no chat
    kind             text        NOT NULL,           -- Telegram's key: message, callback_query...
    payload          jsonb       NOT NULL,
    state            text        NOT NULL DEFAULT 'queued'
                     CHECK (state IN ('queued', 'working', 'done', 'dead')),
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    lease_owner      text,
    lease_expires_at timestamptz,
    last_error       text,
    received_at      timestamptz NOT NULL DEFAULT now(),
    done_at          timestamptz
);

-- What a claim scans: due queued rows, oldest first.
CREATE INDEX updates_queued_idx ON updates (next_attempt_at, update_id) WHERE state = 'queued';
-- Per-chat ordering: is there an earlier unfinished update of the same chat?
CREATE INDEX updates_chat_open_idx ON updates (chat_id, update_id)
    WHERE state IN ('queued', 'working');
-- Lease rescue.
CREATE INDEX updates_working_idx ON updates (lease_expires_at) WHERE state = 'working';
-- Pruning, and the dead letters an operator looks at.
CREATE INDEX updates_finished_idx ON updates (done_at) WHERE state IN ('done', 'dead');
CREATE INDEX updates_dead_idx ON updates (done_at) WHERE state = 'dead';

CREATE TABLE users (
    user_id          bigint      PRIMARY KEY,
    first_name       text        NOT NULL DEFAULT '',
    last_name        text        NOT NULL DEFAULT '',
    username         text        NOT NULL DEFAULT '',
    language_code    text        NOT NULL DEFAULT '',
    decoder          text        CHECK (decoder IN ('nhtsa', 'autodev', 'offline')),
    blocked          boolean     NOT NULL DEFAULT false,
    first_seen       timestamptz NOT NULL DEFAULT now(),
    last_seen        timestamptz NOT NULL DEFAULT now()
);
