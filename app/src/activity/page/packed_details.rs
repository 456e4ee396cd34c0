//! A loaded row's details, packed with those of the rows beside it (`bitcode`), and unpacked
//! when the row is shown, sorted by them or indexed anew.

use std::cell::RefCell;
use std::sync::Arc;

use crate::events::ActionDetails;

/// How many rows' details are packed together. `bitcode` has a fixed cost for each value it
/// packs (~0.6 µs in the browser: a year's rows one by one took ~0.45 s of its load), and
/// the rows of a block are mostly shown together (their page's order is the table's).
pub(super) const DETAILS_BLOCK: usize = 64;

/// A row's details: in `bitcode`'s binary, with those of the rows beside it in its page (a
/// third of their size in memory as strings and vectors: an order of four products is
/// eleven allocations), unpacked when shown.
#[derive(Debug, Clone)]
pub(super) struct PackedDetails {
    pub(super) block: Arc<[u8]>,
    /// This row's place in the block.
    pub(super) at: u8,
}

impl PartialEq for PackedDetails {
    fn eq(&self, other: &PackedDetails) -> bool {
        self.unpack() == other.unpack()
    }
}

/// A block and its details unpacked.
type UnpackedBlock = (Arc<[u8]>, Vec<ActionDetails>);

thread_local! {
    /// The block unpacked last: the table's rows, a sort by details or an index written
    /// anew take the rows of a block one after another.
    static UNPACKED: RefCell<Option<UnpackedBlock>> = const { RefCell::new(None) };
}

impl PackedDetails {
    /// The block of `details` (up to [`DETAILS_BLOCK`] rows'), packed with `packer`.
    pub(super) fn block(packer: &mut bitcode::Buffer, details: &[ActionDetails]) -> Arc<[u8]> {
        packer.encode(details).into()
    }

    pub(super) fn unpack(&self) -> ActionDetails {
        UNPACKED.with_borrow_mut(|unpacked| {
            let fresh = matches!(unpacked, Some((block, _)) if Arc::ptr_eq(block, &self.block));
            if !fresh {
                // Packed by `PackedDetails::block` from a slice of this type: it unpacks.
                let details: Vec<ActionDetails> =
                    bitcode::decode(&self.block).expect("details packed by PackedDetails::block");
                *unpacked = Some((self.block.clone(), details));
            }
            let (_, details) = unpacked.as_ref().expect("unpacked above");
            details[self.at as usize].clone()
        })
    }
}
