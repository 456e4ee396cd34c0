//! The integrity badge's server function.

use leptos::prelude::*;

use super::model::PeriodIntegrity;
use crate::errors::AppError;

/// Walks the signed-in partner's chain and says how much of the period `from`–`to` (RFC
/// 3339 instants, as for `list_activity`) a signed checkpoint covers.
#[server(endpoint = "period_integrity")]
pub async fn check_period_integrity(from: String, to: String) -> Result<PeriodIntegrity, AppError> {
    use super::{checkpoint::public_key_hex, verify::verify_partner};
    use crate::activity::api::period_of_viewer;
    use crate::db::to_db_time;
    use crate::errors::with_status;

    with_status(
        async {
            let (state, viewer, range) = period_of_viewer(&from, &to).await?;
            let chain = verify_partner(&state.pool, viewer.partner_id, &state.checkpoint_key).await?;
            let covered_through = chain
                .checkpoint
                .as_ref()
                .map_or(0, |checkpoint| checkpoint.chain_seq);
            let (events_in_period, covered_in_period): (i64, Option<i64>) = sqlx::query_as(
                "SELECT COUNT(*), SUM(CASE WHEN chain_seq <= $4 THEN 1 ELSE 0 END)
                 FROM activity_events
                 WHERE partner_id = $1 AND occurred_at >= $2 AND occurred_at < $3",
            )
            .bind(viewer.partner_id)
            .bind(to_db_time(range.from))
            .bind(to_db_time(range.to))
            .bind(covered_through)
            .fetch_one(&state.pool)
            .await?;
            Ok(PeriodIntegrity {
                chain,
                events_in_period: events_in_period.max(0) as u64,
                covered_in_period: covered_in_period.unwrap_or(0).max(0) as u64,
                public_key: public_key_hex(&state.checkpoint_key),
            })
        }
        .await,
    )
}
