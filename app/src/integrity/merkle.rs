//! Each partner's Merkle tree (RFC 9162: leaf `SHA-256(0x00 ‖ canonical event)`, node
//! `SHA-256(0x01 ‖ left ‖ right)`) over its events in chain order, kept as C2SP tlog-tiles
//! lay it out: tile (L, k) holds the hashes of the tree's level-8L nodes k·256 … k·256+255,
//! fewer in the rightmost (partial) tile of a level. Every other node is hashed from a tile
//! when asked for, so the tree costs 1/255 more than its leaf hashes. The proof algorithms
//! are `tlog_tiles`'s (a port of Go's sumdb tlog); this file maps its node numbering onto
//! tiles and appends leaves. No SQL here: `tree` reads and writes the tiles.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::ops::Range;

pub use tlog_tiles::Hash;
use tlog_tiles::{HASH_SIZE, HashReader, Tile, split_stored_hash_index};

/// Levels of the tree per tile level (C2SP tlog-tiles fixes it at 8).
pub const TILE_HEIGHT: u8 = 8;
/// Hashes in a full tile.
pub const TILE_WIDTH: u64 = 1 << TILE_HEIGHT;

/// A tile's place: (tile level, index along that level).
pub type TileId = (u8, u64);

/// The leaf hash of an event's canonical bytes.
pub fn leaf_hash(canonical: &[u8]) -> Hash {
    tlog_tiles::record_hash(canonical)
}

/// Where the tree's node (`level`, `n`) lies: its tile, and the hashes of that tile it
/// spans (one when `level` is a multiple of 8, else 2^(level mod 8) to hash together).
fn locate(level: u8, n: u64) -> (TileId, Range<usize>) {
    let below = level % TILE_HEIGHT;
    let first = n << below;
    let start = (first % TILE_WIDTH) as usize;
    (
        (level / TILE_HEIGHT, first / TILE_WIDTH),
        start..start + (1 << below),
    )
}

/// Tiles as stored: each its hashes, 32 bytes apiece, concatenated; and the nodes between a
/// tile's levels hashed so far, so the proofs of a page of neighbouring events hash each node
/// they share once (a proof alone hashes up to 255 nodes a tile level).
#[derive(Debug, Default, Clone)]
pub struct Tiles(pub HashMap<TileId, Vec<u8>>, RefCell<HashMap<(u8, u64), Hash>>);

impl From<HashMap<TileId, Vec<u8>>> for Tiles {
    fn from(tiles: HashMap<TileId, Vec<u8>>) -> Tiles {
        Tiles(tiles, RefCell::default())
    }
}

impl Tiles {
    /// The tree's node (`level`, `n`): stored when `level` is a multiple of 8, else hashed
    /// from its two children (and remembered).
    fn node(&self, level: u8, n: u64) -> Result<Hash, tlog_tiles::Error> {
        if level.is_multiple_of(TILE_HEIGHT) {
            let (tile, span) = locate(level, n);
            return self
                .0
                .get(&tile)
                .and_then(|data| data.get(span.start * HASH_SIZE..span.end * HASH_SIZE))
                .map(Tile::subtree_hash)
                .ok_or_else(|| {
                    tlog_tiles::Error::InvalidInput(format!(
                        "node {n} of level {level} is not in the stored tiles"
                    ))
                });
        }
        if let Some(hash) = self.1.borrow().get(&(level, n)) {
            return Ok(*hash);
        }
        let hash = tlog_tiles::node_hash(self.node(level - 1, 2 * n)?, self.node(level - 1, 2 * n + 1)?);
        self.1.borrow_mut().insert((level, n), hash);
        Ok(hash)
    }
}

impl HashReader for Tiles {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        indexes
            .iter()
            .map(|&index| {
                let (level, n) = split_stored_hash_index(index);
                self.node(level, n)
            })
            .collect()
    }
}

/// Reads the hashes of these stored-hash indexes (`tlog_tiles`' numbering).
type ReadHashes<'a> = dyn Fn(&[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> + 'a;

/// A reader that only notes what it is asked for (answering zeros): a proof's first pass,
/// so the tiles it needs can be read from the database before the real pass.
#[derive(Default)]
struct Noted(RefCell<Vec<u64>>);

impl HashReader for Noted {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        self.0.borrow_mut().extend_from_slice(indexes);
        Ok(vec![Hash::default(); indexes.len()])
    }
}

/// The tiles `compute` reads (it is run once on zeros to find out).
pub fn tiles_read_by<T>(compute: impl Fn(&ReadHashes) -> T) -> BTreeSet<TileId> {
    let noted = Noted::default();
    compute(&|indexes| noted.read_hashes(indexes));
    let indexes = noted.0.into_inner();
    indexes
        .into_iter()
        .map(|index| {
            let (level, n) = split_stored_hash_index(index);
            locate(level, n).0
        })
        .collect()
}

/// `tlog_tiles`' algorithms take a reader type; this one forwards to a closure.
struct Through<'a>(&'a ReadHashes<'a>);

impl HashReader for Through<'_> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        (self.0)(indexes)
    }
}

/// What can be asked of a tree: each answered by `tlog_tiles` from the tiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Question {
    /// The root hash of the tree's first `size` leaves.
    Root { size: u64 },
    /// The inclusion proof of leaf `index` in the tree of `size` leaves.
    Inclusion { index: u64, size: u64 },
    /// The consistency proof from the tree of `from` leaves to the tree of `to`.
    Consistency { from: u64, to: u64 },
}

/// A root hash, or a proof's hashes.
pub type Answer = Vec<Hash>;

impl Question {
    /// Whether the question makes sense for a tree of `size` leaves; else why not.
    pub fn check(self, tree_size: u64) -> Result<(), String> {
        match self {
            Question::Root { size } if size > tree_size => {
                Err(format!("the tree has {tree_size} leaves, not {size}"))
            }
            Question::Inclusion { index, size } if index >= size => {
                Err(format!("leaf {index} is not in a tree of {size}"))
            }
            Question::Inclusion { size, .. } if size > tree_size => {
                Err(format!("the tree has {tree_size} leaves, not {size}"))
            }
            Question::Consistency { from, to } if from == 0 || from > to => {
                Err(format!("no consistency proof from size {from} to {to}"))
            }
            Question::Consistency { to, .. } if to > tree_size => {
                Err(format!("the tree has {tree_size} leaves, not {to}"))
            }
            _ => Ok(()),
        }
    }

    fn ask(self, read: &ReadHashes) -> Result<Answer, tlog_tiles::Error> {
        let reader = Through(read);
        match self {
            Question::Root { size } => tlog_tiles::tree_hash(size, &reader).map(|root| vec![root]),
            Question::Inclusion { index, size } => tlog_tiles::prove_record(size, index, &reader),
            Question::Consistency { from, to } => tlog_tiles::prove_tree(to, from, &reader),
        }
    }

    /// The tiles answering it reads.
    pub fn tiles(self) -> BTreeSet<TileId> {
        tiles_read_by(|read| self.ask(read))
    }

    /// The answer, from `tiles` (those [`Question::tiles`] named).
    pub fn answer(self, tiles: &Tiles) -> Result<Answer, tlog_tiles::Error> {
        self.ask(&|indexes| tiles.read_hashes(indexes))
    }
}

/// The partial tiles on the right edge of a tree of `size` leaves: what an append to it
/// rewrites (whole tiles are never written again).
pub fn edge_tiles(size: u64) -> Vec<TileId> {
    let mut edge = Vec::new();
    let (mut level, mut count) = (0, size);
    while count > 0 {
        if !count.is_multiple_of(TILE_WIDTH) {
            edge.push((level, count / TILE_WIDTH));
        }
        level += 1;
        count /= TILE_WIDTH;
    }
    edge
}

/// The tiles to write when `leaves` are appended to a tree of `size` leaves whose edge
/// tiles ([`edge_tiles`]) are in `edge`: each tile with its new contents.
pub fn append(size: u64, leaves: &[Hash], edge: &Tiles) -> Result<Vec<(TileId, Vec<u8>)>, String> {
    let width = TILE_WIDTH as usize * HASH_SIZE;
    let mut written = Vec::new();
    let (mut level, mut count) = (0u8, size);
    let mut added: Vec<u8> = leaves.iter().flat_map(|leaf| leaf.0).collect();
    while !added.is_empty() {
        let first_tile = count / TILE_WIDTH;
        let filled = (count % TILE_WIDTH) as usize * HASH_SIZE;
        let mut hashes = if filled == 0 {
            Vec::with_capacity(added.len())
        } else {
            let stored = edge
                .0
                .get(&(level, first_tile))
                .ok_or_else(|| format!("tile {first_tile} of level {level} (the tree's edge) is missing"))?;
            if stored.len() != filled {
                return Err(format!(
                    "tile {first_tile} of level {level} holds {} hashes, the tree's size says {}",
                    stored.len() / HASH_SIZE,
                    filled / HASH_SIZE
                ));
            }
            stored.clone()
        };
        hashes.extend_from_slice(&added);
        // A tile filled here gives the level above one more hash: the root of its 256.
        let mut above = Vec::new();
        for (offset, tile) in hashes.chunks(width).enumerate() {
            if tile.len() == width {
                above.extend_from_slice(&Tile::subtree_hash(tile).0);
            }
            written.push(((level, first_tile + offset as u64), tile.to_vec()));
        }
        added = above;
        count = first_tile;
        level += 1;
    }
    Ok(written)
}

#[cfg(test)]
mod tests;
