//! How many long-lived streams of one kind (exports, live logs) may run at once, overall and
//! per partner. A stream holds a slot from its first check until it ends (an export's last
//! byte sent, a live log closed, or the client gone); the next one past a limit is refused at
//! once with a 429 rather than queued, so a stalled client or a partner exporting in a loop
//! never holds up anyone else's. Each kind has its own `StreamSlots` (`AppState`).

use crate::ids::PartnerId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Debug)]
pub struct StreamSlots {
    at_once: usize,
    per_partner: usize,
    running: Mutex<Running>,
}

#[derive(Debug, Default)]
struct Running {
    total: usize,
    by_partner: HashMap<PartnerId, usize>,
}

/// Which limit refused a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotsFull {
    Partner,
    Everyone,
}

/// A running stream's place; given back when dropped.
#[derive(Debug)]
pub struct StreamSlot {
    slots: Arc<StreamSlots>,
    partner_id: PartnerId,
}

impl StreamSlots {
    pub fn new(at_once: usize, per_partner: usize) -> StreamSlots {
        StreamSlots {
            at_once,
            per_partner,
            running: Mutex::default(),
        }
    }

    fn running(&self) -> std::sync::MutexGuard<'_, Running> {
        crate::locks::lock(&self.running)
    }

    pub fn take(self: &Arc<Self>, partner_id: PartnerId) -> Result<StreamSlot, SlotsFull> {
        let mut running = self.running();
        let partners = running.by_partner.get(&partner_id).copied().unwrap_or(0);
        if partners >= self.per_partner {
            return Err(SlotsFull::Partner);
        }
        if running.total >= self.at_once {
            return Err(SlotsFull::Everyone);
        }
        running.total += 1;
        *running.by_partner.entry(partner_id).or_default() += 1;
        Ok(StreamSlot {
            slots: self.clone(),
            partner_id,
        })
    }

    /// Streams running now.
    pub fn running_now(&self) -> usize {
        self.running().total
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut running = self.slots.running();
        running.total = running.total.saturating_sub(1);
        if let Some(count) = running.by_partner.get_mut(&self.partner_id) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                running.by_partner.remove(&self.partner_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_partner_and_overall_and_slots_come_back() {
        let slots = Arc::new(StreamSlots::new(3, 2));
        let a1 = slots.take(PartnerId(1)).unwrap();
        let _a2 = slots.take(PartnerId(1)).unwrap();
        assert_eq!(slots.take(PartnerId(1)).unwrap_err(), SlotsFull::Partner);
        let _b1 = slots.take(PartnerId(2)).unwrap();
        assert_eq!(slots.take(PartnerId(2)).unwrap_err(), SlotsFull::Everyone);
        drop(a1);
        assert_eq!(slots.running_now(), 2);
        let _b2 = slots.take(PartnerId(2)).unwrap();
        assert_eq!(slots.running_now(), 3);
    }
}
