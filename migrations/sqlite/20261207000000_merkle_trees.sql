-- Each partner's Merkle tree over its events in chain order (app::integrity::merkle), as
-- C2SP tlog-tiles lay it out: tile (level, tile_index) holds up to 256 hashes of 32 bytes,
-- those of the tree's level-8×level nodes from tile_index×256 on. The rightmost tile of a
-- level is rewritten as it fills; a full one never changes.
CREATE TABLE merkle_tiles (
    partner_id  INTEGER NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    level       INTEGER NOT NULL,
    tile_index  INTEGER NOT NULL,
    hashes      BLOB NOT NULL,
    PRIMARY KEY (partner_id, level, tile_index)
);

-- How many of the partner's events (from chain position 1) the tree holds. It lags the
-- chain only in a database from before the trees, until `server build-trees` catches up.
CREATE TABLE merkle_trees (
    partner_id  INTEGER PRIMARY KEY REFERENCES partners (id) ON DELETE CASCADE,
    size        INTEGER NOT NULL
);

-- Each checkpoint made once the partner's tree held its events also carries the tree's size
-- and root (base64) and the C2SP signed note of it (tlog-checkpoint: origin, size, root;
-- signed with the checkpoint key as an Ed25519 signed note), as GET /api/v1/checkpoint
-- serves it.
ALTER TABLE chain_checkpoints ADD COLUMN tree_size INTEGER;
ALTER TABLE chain_checkpoints ADD COLUMN root_hash TEXT;
ALTER TABLE chain_checkpoints ADD COLUMN note TEXT;
