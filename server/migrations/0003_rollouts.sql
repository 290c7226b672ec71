-- Staged rollouts of a contract version, and feedback on answers.
--
-- A rollout sends `percent_bp` (basis points: 1000 = 10%) of the eligible
-- users to `candidate`; the others stay on `control`. A user is in the
-- candidate group when their bucket (stored with the pin) is below
-- `percent_bp`, so the assignment never flips between requests and a
-- raise only adds users. At most one rollout per contract is running.

CREATE TABLE rollouts (
    id            TEXT PRIMARY KEY,
    contract_id   TEXT NOT NULL,
    control       TEXT NOT NULL,
    candidate     TEXT NOT NULL,
    percent_bp    BIGINT NOT NULL,
    state         TEXT NOT NULL,
    guard         BIGINT NOT NULL DEFAULT 0,
    reason        TEXT,
    created_ms    BIGINT NOT NULL,
    updated_ms    BIGINT NOT NULL,
    ended_ms      BIGINT
);
CREATE INDEX rollouts_contract ON rollouts (contract_id, state);
CREATE UNIQUE INDEX rollouts_one_running ON rollouts (contract_id) WHERE state = 'running';

-- Pins a rollout assigned (to either group), so a raise, a promotion or a
-- rollback finds them.
ALTER TABLE contract_pins ADD COLUMN rollout_id TEXT;
CREATE INDEX contract_pins_rollout ON contract_pins (rollout_id);

-- Whether the answer passed the contract's output check (1/0), NULL when
-- there was no answer or nothing to check.
ALTER TABLE usage_records ADD COLUMN output_ok BIGINT;
CREATE INDEX usage_records_contract ON usage_records (contract_id, created_ms);

-- A thumbs up (1) or down (-1) on one answer, by the user who got it; the
-- last rating of a request counts.
CREATE TABLE feedback (
    request_id        TEXT PRIMARY KEY,
    user_id           TEXT NOT NULL,
    contract_id       TEXT NOT NULL,
    contract_version  TEXT NOT NULL,
    rating            BIGINT NOT NULL,
    comment           TEXT,
    created_ms        BIGINT NOT NULL
);
CREATE INDEX feedback_contract ON feedback (contract_id, created_ms);
