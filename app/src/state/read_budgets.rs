//! How often one API token may read (`GET /api/v1/events`): `per_minute` reads a minute, at
//! most that many at once, so one polling system can't starve the others or the page. The
//! budget is kept in the database (GCRA, one statement a read), so every server process on
//! one database spends from the same budget: behind N replicas a token gets it once.

use crate::db::{Db, on_db};

pub struct ReadBudgets {
    db: Db,
    per_minute: u32,
}

/// Reads whose budget is spent wait this long at least.
const MIN_WAIT_SECONDS: u64 = 1;

/// The spend: from `$2` (now, ms) the next read is due `$3` (ms per read) later, allowed
/// while the due time lies at most `$4` (a whole budget, ms) ahead of now. No row comes back
/// when the budget is spent. SQLite names the larger of two `MAX`, PostgreSQL `GREATEST`.
macro_rules! spend_sql {
    ($greater:literal) => {
        concat!(
            "INSERT INTO token_read_budgets (token_id, next_read_ms) VALUES ($1, $2 + $3)
             ON CONFLICT (token_id) DO UPDATE
             SET next_read_ms = ",
            $greater,
            "(token_read_budgets.next_read_ms, $2) + $3
             WHERE ",
            $greater,
            "(token_read_budgets.next_read_ms, $2) + $3 - $2 <= $4
             RETURNING next_read_ms"
        )
    };
}

impl ReadBudgets {
    /// `per_minute` reads per token (0 counts as 1).
    pub fn new(db: Db, per_minute: u32) -> ReadBudgets {
        ReadBudgets {
            db,
            per_minute: per_minute.max(1),
        }
    }

    pub fn per_minute(&self) -> u32 {
        self.per_minute
    }

    /// Spends one read of token `token_id` at `now_ms` (Unix milliseconds): `Ok(Err(seconds))`
    /// to wait when its budget is spent.
    pub async fn spend(&self, token_id: i64, now_ms: i64) -> Result<Result<(), u64>, sqlx::Error> {
        let per_read = 60_000 / i64::from(self.per_minute);
        let budget = per_read * i64::from(self.per_minute);
        let sql = match self.db {
            Db::Sqlite(_) => spend_sql!("MAX"),
            Db::Postgres(_) => spend_sql!("GREATEST"),
        };
        let spent: Option<i64> = on_db!(&self.db, |pool| sqlx::query_scalar(sql)
            .bind(token_id)
            .bind(now_ms)
            .bind(per_read)
            .bind(budget)
            .fetch_optional(pool)
            .await)?;
        if spent.is_some() {
            return Ok(Ok(()));
        }
        let due: Option<i64> = on_db!(&self.db, |pool| sqlx::query_scalar(
            "SELECT next_read_ms FROM token_read_budgets WHERE token_id = $1"
        )
        .bind(token_id)
        .fetch_optional(pool)
        .await)?;
        // Allowed again once the due time is within a budget of now, after this read.
        let wait_ms = due.unwrap_or(now_ms) + per_read - budget - now_ms;
        let wait = u64::try_from(wait_ms).unwrap_or(0).div_ceil(1000);
        Ok(Err(wait.max(MIN_WAIT_SECONDS)))
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

    /// A real database file with two tokens (ids 1 and 2).
    async fn database() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::connect(&dir.path().join("budgets.sqlite"))
            .await
            .unwrap();
        on_db!(&db, |pool| {
            for statement in [
                "INSERT INTO partners (id, name, domain) VALUES (1, 'Contoso', 'contoso.example')",
                "INSERT INTO partner_users (id, partner_id, display_name, email, role, password_hash)
                 VALUES (1, 1, 'A', 'a@contoso.example', 'global_admin', 'x')",
                "INSERT INTO api_tokens (id, partner_id, name, token_hash, token_prefix, created_by, created_at)
                 VALUES (1, 1, 'one', 'h1', 'p1', 1, '2026-12-04T00:00:00Z'),
                        (2, 1, 'two', 'h2', 'p2', 1, '2026-12-04T00:00:00Z')",
            ] {
                sqlx::query(statement).execute(pool).await.unwrap();
            }
        });
        (dir, db)
    }

    #[tokio::test]
    async fn a_token_spends_its_own_budget_and_it_comes_back_over_the_minute() {
        let (_dir, db) = database().await;
        let budgets = ReadBudgets::new(db, 3);
        let now = 1_800_000_000_000;
        for _ in 0..3 {
            assert_eq!(budgets.spend(1, now).await.unwrap(), Ok(()));
        }
        let wait = budgets.spend(1, now).await.unwrap().unwrap_err();
        assert_eq!(wait, 20, "one read comes back every 20 s");
        assert_eq!(
            budgets.spend(2, now).await.unwrap(),
            Ok(()),
            "another token has its own budget"
        );
        assert!(budgets.spend(1, now + 19_000).await.unwrap().is_err());
        assert_eq!(budgets.spend(1, now + 20_000).await.unwrap(), Ok(()));
        assert_eq!(budgets.spend(1, now + 80_000).await.unwrap(), Ok(()));
        assert_eq!(budgets.spend(1, now + 80_000).await.unwrap(), Ok(()));
        assert_eq!(
            budgets.spend(1, now + 80_000).await.unwrap(),
            Ok(()),
            "a whole minute later, the whole budget"
        );
        assert!(budgets.spend(1, now + 80_000).await.unwrap().is_err());
    }
}
