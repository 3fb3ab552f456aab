CREATE TABLE IF NOT EXISTS meta (
    name VARCHAR(191) PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE TABLE IF NOT EXISTS `keys` (
    address VARCHAR(191) PRIMARY KEY NOT NULL,
    key_type INT NOT NULL,
    entry TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    seq BIGINT NOT NULL DEFAULT 0
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE TABLE IF NOT EXISTS policies (
    name VARCHAR(191) PRIMARY KEY NOT NULL,
    body TEXT NOT NULL
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE TABLE IF NOT EXISTS policy_groups (
    name VARCHAR(191) PRIMARY KEY NOT NULL,
    policies TEXT NOT NULL
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE TABLE IF NOT EXISTS bindings (
    caller VARCHAR(191) PRIMARY KEY NOT NULL,
    group_name VARCHAR(191) NOT NULL
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE TABLE IF NOT EXISTS sign_records (
    id BIGINT PRIMARY KEY AUTO_INCREMENT,
    at_ms BIGINT NOT NULL,
    caller VARCHAR(191) NOT NULL,
    address VARCHAR(191) NOT NULL,
    msg_type VARCHAR(64) NOT NULL,
    object TEXT NOT NULL,
    ok INT NOT NULL,
    error TEXT,
    INDEX sign_records_by_address (address, at_ms),
    INDEX sign_records_by_type (msg_type, at_ms)
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
