//! One rule for the server's in-memory locks: a thread that panicked while holding one does
//! not make every later request fail. What they guard (the export slots, the badge's memory,
//! the password work areas) stays usable after a panic: at worst a count is off by one or a
//! cache entry is walked again.

use std::sync::{Mutex, MutexGuard};

/// The guard of `mutex`, poisoned or not.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
