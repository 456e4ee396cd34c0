-- Which key signed each checkpoint (the first 16 hex digits of its public key), so `verify`
-- with the wrong key says so instead of calling the checkpoint forged. Not signed itself:
-- it only names the key to try. Empty for checkpoints made before it was recorded.
ALTER TABLE chain_checkpoints ADD COLUMN key_id TEXT;
