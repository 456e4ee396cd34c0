//! The tiles, grown in batches of every shape, answer what another RFC 9162 implementation
//! (`ct-merkle`, not the crate producing the proofs) computes and accepts.

use ct_merkle::{ConsistencyProof, InclusionProof, RootHash, mem_backed_tree::MemoryBackedTree};
use sha2::Sha256;

use super::*;

fn data(n: u64) -> Vec<u8> {
    format!("event {n}").into_bytes()
}

/// A tree of `size` leaves grown by appends of `batch` leaves, with the tiles it wrote.
fn grown(size: u64, batch: u64) -> Tiles {
    let mut tiles = Tiles::default();
    let mut grown = 0;
    while grown < size {
        let add = batch.min(size - grown);
        let leaves: Vec<Hash> = (grown..grown + add).map(|n| leaf_hash(&data(n))).collect();
        let edge = Tiles::from(
            edge_tiles(grown)
                .into_iter()
                .map(|id| (id, tiles.0[&id].clone()))
                .collect::<HashMap<_, _>>(),
        );
        for (id, hashes) in append(grown, &leaves, &edge).unwrap() {
            tiles.0.insert(id, hashes);
        }
        grown += add;
    }
    tiles
}

fn reference(size: u64) -> MemoryBackedTree<Sha256, Vec<u8>> {
    let mut tree = MemoryBackedTree::new();
    for n in 0..size {
        tree.push(data(n));
    }
    tree
}

fn root(tiles: &Tiles, size: u64) -> Hash {
    let question = Question::Root { size };
    let wanted = question.tiles();
    assert!(wanted.iter().all(|id| tiles.0.contains_key(id)));
    question.answer(tiles).unwrap()[0]
}

fn ct_root(hash: Hash, size: u64) -> RootHash<Sha256> {
    RootHash::new(hash.0.into(), size)
}

fn digests(proof: &[Hash]) -> Vec<sha2::digest::Output<Sha256>> {
    proof.iter().map(|hash| hash.0.into()).collect()
}

#[test]
fn roots_match_another_implementation_whatever_the_batches() {
    for batch in [1, 3, 255, 256, 257, 1000] {
        let tiles = grown(70_000, batch);
        let tree = reference(70_000);
        assert_eq!(
            root(&tiles, 70_000).0,
            tree.root().as_bytes().as_slice(),
            "batch {batch}"
        );
        // The tiles are C2SP's: the level-0 ones hold the leaf hashes, 256 to a full tile.
        assert_eq!(tiles.0[&(0, 0)].len(), 256 * 32);
        assert_eq!(tiles.0[&(0, 273)].len(), (70_000 - 273 * 256) * 32);
        assert_eq!(tiles.0[&(1, 0)].len(), 256 * 32);
        assert_eq!(tiles.0[&(1, 1)].len(), (273 - 256) * 32);
        assert_eq!(&tiles.0[&(0, 5)][..32], &leaf_hash(&data(5 * 256)).0);
    }
    for size in [1, 2, 255, 256, 257, 65_535, 65_536, 65_537] {
        let tiles = grown(size, 100);
        assert_eq!(
            root(&tiles, size).0,
            reference(size).root().as_bytes().as_slice(),
            "size {size}"
        );
    }
}

#[test]
fn inclusion_and_consistency_proofs_verify_elsewhere() {
    let size = 70_000;
    let tiles = grown(size, 999);
    let sizes = [1, 2, 256, 257, 65_536, 69_999, 70_000];
    for tree_size in sizes {
        let signed = ct_root(root(&tiles, tree_size), tree_size);
        for index in [0, tree_size / 2, tree_size - 1] {
            let question = Question::Inclusion {
                index,
                size: tree_size,
            };
            let proof = question.answer(&tiles).unwrap();
            let proof = InclusionProof::<Sha256>::from_digests(digests(&proof).iter());
            signed.verify_inclusion(&data(index), index, &proof).unwrap();
            // Another event at that place is not in the tree.
            assert!(signed.verify_inclusion(&data(index + 1), index, &proof).is_err());
        }
    }
    for from in sizes {
        let to = size;
        let proof = Question::Consistency { from, to }.answer(&tiles).unwrap();
        let proof = ConsistencyProof::<Sha256>::from_digests(digests(&proof).iter());
        let old = ct_root(root(&tiles, from), from);
        ct_root(root(&tiles, to), to)
            .verify_consistency(&old, &proof)
            .unwrap();
        // A history rewritten before `from` is not consistent with it.
        let rewritten = ct_root(leaf_hash(b"rewritten"), from);
        assert!(
            ct_root(root(&tiles, to), to)
                .verify_consistency(&rewritten, &proof)
                .is_err()
        );
    }
}

#[test]
fn questions_outside_the_tree_are_refused_in_words() {
    assert!(Question::Root { size: 11 }.check(10).is_err());
    assert!(Question::Inclusion { index: 10, size: 10 }.check(10).is_err());
    assert!(Question::Inclusion { index: 1, size: 11 }.check(10).is_err());
    assert!(Question::Consistency { from: 0, to: 5 }.check(10).is_err());
    assert!(Question::Consistency { from: 6, to: 5 }.check(10).is_err());
    assert!(Question::Consistency { from: 5, to: 11 }.check(10).is_err());
    assert!(Question::Consistency { from: 5, to: 10 }.check(10).is_ok());
    // An edge tile that disagrees with the size is an error, not a wrong tree.
    let tiles = grown(300, 300);
    let mut edge = Tiles::from(
        edge_tiles(300)
            .into_iter()
            .map(|id| (id, tiles.0[&id].clone()))
            .collect::<HashMap<_, _>>(),
    );
    edge.0.get_mut(&(0, 1)).unwrap().truncate(32);
    assert!(append(300, &[leaf_hash(b"x")], &edge).is_err());
}
