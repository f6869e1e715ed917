-- 0002_vehicles: what we learned about each VIN, and who asked.
--
-- One row per decoded VIN: the normalized fields a person cares about, which source decoded
-- it (nhtsa, autodev, offline), the raw upstream answer, and when. A copy younger than
-- VIN_CACHE_TTL is used before calling an upstream again, so a vehicle decoded once is still
-- known when the cache is empty. Each lookup is recorded for history and statistics.

CREATE TABLE vehicles (
    vin              text        PRIMARY KEY CHECK (length(vin) = 17),
    source           text        NOT NULL CHECK (source IN ('nhtsa', 'autodev', 'offline')),
    found            boolean     NOT NULL,  -- false: the source knows no such vehicle
    make             text        NOT NULL DEFAULT '',
    model            text        NOT NULL DEFAULT '',
    model_year       integer,
    trim             text        NOT NULL DEFAULT '',
    series           text        NOT NULL DEFAULT '',
    body_class       text        NOT NULL DEFAULT '',
    vehicle_type     text        NOT NULL DEFAULT '',
    doors            text        NOT NULL DEFAULT '',
    drive_type       text        NOT NULL DEFAULT '',
    engine_cylinders text        NOT NULL DEFAULT '',
    displacement_l   text        NOT NULL DEFAULT '',
    engine_hp        text        NOT NULL DEFAULT '',
    fuel_type        text        NOT NULL DEFAULT '',
    transmission     text        NOT NULL DEFAULT '',
    plant_city       text        NOT NULL DEFAULT '',
    plant_country    text        NOT NULL DEFAULT '',
    manufacturer     text        NOT NULL DEFAULT '',
    gvwr             text        NOT NULL DEFAULT '',
    error_code       text        NOT NULL DEFAULT '',
    error_text       text        NOT NULL DEFAULT '',
    normalized       jsonb       NOT NULL,  -- the whole normalized record, as cached
    raw              jsonb,                 -- the upstream's answer, as received
    decoded_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE lookups (
    id               bigserial   PRIMARY KEY,
    user_id          bigint,
    chat_id          bigint,
    vin              text        NOT NULL,
    source           text        NOT NULL,
    cache_hit        boolean     NOT NULL,
    looked_up_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX lookups_user_idx ON lookups (user_id, looked_up_at DESC);
CREATE INDEX lookups_vin_idx ON lookups (vin);
