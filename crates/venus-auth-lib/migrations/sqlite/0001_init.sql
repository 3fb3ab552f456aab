CREATE TABLE IF NOT EXISTS auth_users (
    name TEXT NOT NULL PRIMARY KEY,
    comment TEXT NOT NULL,
    enabled BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS auth_tokens (
    id VARCHAR(64) NOT NULL PRIMARY KEY,
    user_name TEXT NOT NULL,
    perm VARCHAR(16) NOT NULL,
    created_at BIGINT NOT NULL,
    revoked BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS auth_miners (
    address TEXT NOT NULL PRIMARY KEY,
    user_name TEXT NOT NULL,
    open_mining BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS auth_signers (
    address TEXT NOT NULL,
    user_name TEXT NOT NULL,
    PRIMARY KEY (address, user_name)
);
CREATE TABLE IF NOT EXISTS auth_rate_limits (
    user_name TEXT NOT NULL PRIMARY KEY,
    requests BIGINT NOT NULL,
    window_ms BIGINT NOT NULL
);
