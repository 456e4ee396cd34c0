//! The month view's pages as last sent, so that thirty viewers of one month cost one read of
//! it. The log only grows: a page stays right until an event is stored inside its period
//! (events may be stored with past times). Each page remembers the chain position it was
//! read at; a request reads the partner's position (one index lookup) and, if it moved, asks
//! whether any event stored since falls in the period before sending the kept bytes.

use bytes::Bytes;
use quick_cache::sync::{Cache, DefaultLifecycle, PlaceholderGuard};
use quick_cache::{DefaultHashBuilder, Weighter};

use crate::ids::PartnerId;

/// Which page: the partner's, of the period `from`–`to` (stored times), after a cursor.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageKey {
    pub partner_id: PartnerId,
    pub from: String,
    pub to: String,
    pub after: String,
}

/// A page's bytes and the partner's chain position they were read at.
#[derive(Debug, Clone)]
pub struct KeptPage {
    pub read_at: i64,
    pub bytes: Bytes,
}

/// Pages weigh their bytes (plus the key), so the budget bounds the memory they hold.
#[derive(Debug, Clone, Copy)]
struct ByBytes;

impl Weighter<PageKey, KeptPage> for ByBytes {
    fn weight(&self, key: &PageKey, page: &KeptPage) -> u64 {
        (page.bytes.len() + key.from.len() + key.to.len() + key.after.len() + 64) as u64
    }
}

/// What [`PageCache::lookup`] found: the kept page, or the right to read it (others asking
/// for the same page meanwhile wait for that read instead of starting their own).
pub enum Lookup<'a> {
    Kept(KeptPage),
    Read(ReadGuard<'a>),
}

pub struct ReadGuard<'a>(
    PlaceholderGuard<'a, PageKey, KeptPage, ByBytes, DefaultHashBuilder, DefaultLifecycle<PageKey, KeptPage>>,
);

impl ReadGuard<'_> {
    pub fn keep(self, page: KeptPage) {
        // Refused only if the page was evicted meanwhile; the caller has it either way.
        let _ = self.0.insert(page);
    }
}

pub struct PageCache {
    pages: Cache<PageKey, KeptPage, ByBytes>,
}

impl std::fmt::Debug for PageCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PageCache")
            .field("pages", &self.pages.len())
            .field("bytes", &self.pages.weight())
            .finish()
    }
}

impl PageCache {
    /// Holds at most `budget_bytes` of pages, the least recently used going first.
    pub fn new(budget_bytes: u64) -> PageCache {
        // About 300 KiB a page of 5,000 events; the estimate only sizes the table.
        let estimated_pages = (budget_bytes / (300 * 1024)).max(16) as usize;
        PageCache {
            pages: Cache::with_weighter(estimated_pages, budget_bytes, ByBytes),
        }
    }

    pub async fn lookup(&self, key: &PageKey) -> Lookup<'_> {
        match self.pages.get_value_or_guard_async(key).await {
            Ok(page) => Lookup::Kept(page),
            Err(guard) => Lookup::Read(ReadGuard(guard)),
        }
    }

    /// Replaces a page (re-read, or confirmed unchanged at a later position).
    pub fn keep(&self, key: PageKey, page: KeptPage) {
        self.pages.insert(key, page);
    }
}
