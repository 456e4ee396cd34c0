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
    pub from: chrono::DateTime<chrono::Utc>,
    pub to: chrono::DateTime<chrono::Utc>,
    /// The page's cursor as the browser sent it (empty for the first page).
    pub after: String,
}

/// A page's bytes, zstd-compressed, and the partner's chain position they were read at.
/// Kept only compressed, as browsers take them: the budget holds about twice the pages it
/// would with the plain bytes beside them (a year of one partner, 150 pages, fits in 64 MiB).
/// Zstd rather than gzip: a page of the year compresses in a third of gzip's time, to fewer
/// bytes, and decompresses faster in the browser; every current browser takes it.
#[derive(Debug, Clone)]
pub struct KeptPage {
    pub read_at: i64,
    pub zstd: Bytes,
}

impl KeptPage {
    pub fn new(read_at: i64, bytes: &[u8]) -> std::io::Result<KeptPage> {
        Ok(KeptPage {
            read_at,
            zstd: Coding::Zstd.compress(bytes)?,
        })
    }

    /// The bytes as they were kept, for a client that takes no zstd (scripts; a browser
    /// over plain HTTP to a host other than its own).
    pub fn plain(&self) -> std::io::Result<Vec<u8>> {
        zstd::stream::decode_all(&self.zstd[..])
    }
}

/// Zstd's fastest level but the negative ones: a page of 5,000 events, half a MB, in about
/// a millisecond, to about 36 % of its size.
const ZSTD_LEVEL: i32 = 1;

/// A content coding an `Accept-Encoding` value may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    Zstd,
    Gzip,
}

impl Coding {
    /// Its name in `Content-Encoding`.
    pub fn name(self) -> &'static str {
        match self {
            Coding::Zstd => "zstd",
            Coding::Gzip => "gzip",
        }
    }

    /// `bytes` compressed at the coding's fastest level (a page of 5,000 events: some hundreds
    /// of KB, in a millisecond or a few).
    pub fn compress(self, bytes: &[u8]) -> std::io::Result<Bytes> {
        match self {
            Coding::Zstd => Ok(zstd::bulk::compress(bytes, ZSTD_LEVEL)?.into()),
            Coding::Gzip => {
                use std::io::Write;
                let buffer = Vec::with_capacity(bytes.len() / 4);
                let mut encoder = flate2::write::GzEncoder::new(buffer, flate2::Compression::fast());
                encoder.write_all(bytes)?;
                Ok(encoder.finish()?.into())
            }
        }
    }

    /// Whether an `Accept-Encoding` value takes this coding (by name, `x-gzip` for gzip, or
    /// `*`; and not with `q=0`).
    pub fn accepted_by(self, accept_encoding: &str) -> bool {
        accept_encoding.split(',').any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or("").to_ascii_lowercase();
            let refused = parts.any(|parameter| {
                parameter
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            let named = name == self.name() || (self == Coding::Gzip && name == "x-gzip");
            (named || name == "*") && !refused
        })
    }
}

/// Pages weigh their bytes (plus the key), so the budget bounds the memory they hold.
#[derive(Debug, Clone, Copy)]
struct ByBytes;

impl Weighter<PageKey, KeptPage> for ByBytes {
    fn weight(&self, key: &PageKey, page: &KeptPage) -> u64 {
        (page.zstd.len() + key.after.len() + 2 * size_of::<chrono::DateTime<chrono::Utc>>() + 64) as u64
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_coding_is_sent_only_to_clients_that_take_it() {
        for (header, gzip, zstd) in [
            ("gzip, deflate, br, zstd", true, true),
            ("br;q=1.0, GZIP;q=0.5", true, false),
            ("*", true, true),
            ("x-gzip", true, false),
            ("gzip;q=0", false, false),
            ("gzip; q=0.0, br", false, false),
            ("zstd;q=0, gzip", true, false),
            ("identity", false, false),
            ("br, zstd", false, true),
            ("ZSTD", false, true),
            ("", false, false),
            ("gzipx, zstdx", false, false),
        ] {
            assert_eq!(Coding::Gzip.accepted_by(header), gzip, "gzip in {header:?}");
            assert_eq!(Coding::Zstd.accepted_by(header), zstd, "zstd in {header:?}");
        }
    }

    #[test]
    fn a_kept_page_decompresses_to_its_bytes() {
        let bytes = "{\"rows\":[]}".repeat(1000).into_bytes();
        let page = KeptPage::new(7, &bytes).unwrap();
        assert!(page.zstd.len() < bytes.len() / 10);
        assert_eq!(zstd::stream::decode_all(&page.zstd[..]).unwrap(), bytes);
        assert_eq!(page.plain().unwrap(), bytes);
    }
}
