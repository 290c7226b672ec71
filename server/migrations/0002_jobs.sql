-- The durable queue. A job is claimed with a lease; `attempt` is the
-- fencing token: only the holder of the latest attempt can complete it.
-- `fair_key` is how many jobs its user had waiting when it came, so the
-- claim order (fair_key, then age) takes turns between users.

CREATE TABLE jobs (
    id                TEXT PRIMARY KEY,
    user_id           TEXT NOT NULL,
    contract_id       TEXT NOT NULL,
    state             TEXT NOT NULL,
    request           TEXT NOT NULL,
    result            TEXT,
    status_code       BIGINT,
    attempt           BIGINT NOT NULL DEFAULT 0,
    lease_owner       TEXT,
    lease_expires_ms  BIGINT,
    fair_key          BIGINT NOT NULL,
    created_ms        BIGINT NOT NULL,
    started_ms        BIGINT,
    finished_ms       BIGINT
);
CREATE INDEX jobs_claim ON jobs (state, fair_key, created_ms);
CREATE INDEX jobs_user ON jobs (user_id, state);
