-- Accounts, quotas and usage. Portable SQL: the same file runs on SQLite
-- and PostgreSQL. Times are milliseconds since the Unix epoch (UTC),
-- money is micro-dollars, flags are 0/1: integers on both, exact sums.

CREATE TABLE tiers (
    name        TEXT PRIMARY KEY,
    created_ms  BIGINT NOT NULL
);

CREATE TABLE users (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    tier        TEXT NOT NULL REFERENCES tiers (name),
    created_ms  BIGINT NOT NULL
);

-- The key itself is never stored: only its SHA-256 and a short prefix to
-- tell keys apart in listings.
CREATE TABLE api_keys (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id),
    hash          TEXT NOT NULL UNIQUE,
    admin         BIGINT NOT NULL DEFAULT 0,
    created_ms    BIGINT NOT NULL,
    revoked_ms    BIGINT
);
CREATE INDEX api_keys_user ON api_keys (user_id);

-- One row per user, contract, allowance and window. Admission is one
-- conditional update of `reserved`; settlement moves a reservation into
-- `used`.
CREATE TABLE quota_counters (
    user_id       TEXT NOT NULL,
    contract_id   TEXT NOT NULL,
    metric        TEXT NOT NULL,
    window_start  BIGINT NOT NULL,
    used          BIGINT NOT NULL DEFAULT 0,
    reserved      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, contract_id, metric, window_start)
);

-- What one request holds on its counters until it settles or is released.
CREATE TABLE reservations (
    request_id    TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL,
    contract_id   TEXT NOT NULL,
    minute_start  BIGINT NOT NULL,
    month_start   BIGINT NOT NULL,
    requests      BIGINT NOT NULL,
    tokens        BIGINT NOT NULL,
    spend         BIGINT NOT NULL,
    state         TEXT NOT NULL,
    created_ms    BIGINT NOT NULL,
    expires_ms    BIGINT NOT NULL,
    ended_ms      BIGINT
);
CREATE INDEX reservations_held ON reservations (state, expires_ms);

-- One row per request, written once (the request id is the key).
CREATE TABLE usage_records (
    request_id        TEXT PRIMARY KEY,
    user_id           TEXT,
    tier              TEXT NOT NULL,
    contract_id       TEXT NOT NULL,
    contract_version  TEXT NOT NULL,
    route             TEXT NOT NULL,
    model             TEXT,
    input_tokens      BIGINT NOT NULL,
    output_tokens     BIGINT NOT NULL,
    cached_tokens     BIGINT NOT NULL,
    counted_by_us     BIGINT NOT NULL,
    cost_micro_usd    BIGINT NOT NULL,
    latency_ms        BIGINT NOT NULL,
    outcome           TEXT NOT NULL,
    attempts          BIGINT NOT NULL,
    steps             TEXT NOT NULL,
    input_kind        TEXT,
    input_bytes       BIGINT NOT NULL,
    issue_codes       TEXT NOT NULL,
    content           TEXT,
    created_ms        BIGINT NOT NULL
);
CREATE INDEX usage_records_user ON usage_records (user_id, created_ms);
CREATE INDEX usage_records_time ON usage_records (created_ms);

-- The version of a contract a user is on (used by contract versioning).
CREATE TABLE contract_pins (
    user_id           TEXT NOT NULL,
    contract_id       TEXT NOT NULL,
    version           TEXT NOT NULL,
    previous_version  TEXT,
    bucket            BIGINT,
    pinned_ms         BIGINT NOT NULL,
    PRIMARY KEY (user_id, contract_id)
);
