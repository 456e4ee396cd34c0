//! How often one API token may read (`GET /api/v1/events`): a budget per token per minute,
//! kept by each server process (GCRA from the `governor` crate), so one polling system
//! can't starve the others or the page.

use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

pub struct ReadBudgets {
    limiter: DefaultKeyedRateLimiter<i64>,
    per_minute: NonZeroU32,
}

impl ReadBudgets {
    /// `per_minute` reads per token, at most that many at once (0 counts as 1).
    pub fn new(per_minute: u32) -> ReadBudgets {
        let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        ReadBudgets {
            limiter: RateLimiter::keyed(Quota::per_minute(per_minute)),
            per_minute,
        }
    }

    pub fn per_minute(&self) -> u32 {
        self.per_minute.get()
    }

    /// Spends one read of token `token_id`: `Err(seconds)` to wait (at least 1) when its
    /// budget is spent.
    pub fn spend(&self, token_id: i64) -> Result<(), u64> {
        self.limiter.check_key(&token_id).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })?;
        Ok(())
    }
}

impl std::fmt::Debug for ReadBudgets {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("ReadBudgets")
            .field("per_minute", &self.per_minute)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_spends_its_own_budget_only() {
        let budgets = ReadBudgets::new(2);
        assert_eq!(budgets.spend(1), Ok(()));
        assert_eq!(budgets.spend(1), Ok(()));
        let wait = budgets.spend(1).unwrap_err();
        assert!((1..=30).contains(&wait), "{wait}");
        assert_eq!(budgets.spend(2), Ok(()), "another token has its own budget");
    }
}
