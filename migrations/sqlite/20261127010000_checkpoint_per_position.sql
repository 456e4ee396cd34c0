-- One checkpoint per chain position, however many servers sign: a second signer's insert
-- for the same (partner, position) does nothing (ON CONFLICT DO NOTHING in the store).
CREATE UNIQUE INDEX chain_checkpoints_one_per_position ON chain_checkpoints (partner_id, chain_seq);
