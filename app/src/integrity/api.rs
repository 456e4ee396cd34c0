//! The integrity badge's server function.

use leptos::prelude::*;

use super::model::PeriodIntegrity;
use crate::errors::AppError;

/// Whether the signed-in partner's chain is intact (walking only what changed since the last
/// walk) and how much of the period `from`–`to` (RFC 3339 instants, as for `list_activity`)
/// a signed checkpoint covers.
#[server(endpoint = "period_integrity")]
pub async fn check_period_integrity(from: String, to: String) -> Result<PeriodIntegrity, AppError> {
    use super::checkpoint::public_key_hex;
    use crate::activity::api::period_of_viewer;
    use crate::db::to_db_time;
    use crate::errors::with_status;

    with_status(
        async {
            let (state, viewer, range) = period_of_viewer(&from, &to).await?;
            let chain = state
                .verified_chains
                .report(&state.pool, viewer.partner_id, &state.checkpoint_key)
                .await?;
            let covered_through = chain
                .checkpoint
                .as_ref()
                .map_or(0, |checkpoint| checkpoint.chain_seq);
            // The period's count reads only the time index; the events not yet covered are
            // the few after the last checkpoint, found through the chain index.
            let (events_in_period, uncovered_in_period): (i64, i64) = sqlx::query_as(
                "SELECT
                   (SELECT COUNT(*) FROM activity_events
                    WHERE partner_id = $1 AND occurred_at >= $2 AND occurred_at < $3),
                   (SELECT COUNT(*) FROM activity_events INDEXED BY activity_events_by_chain
                    WHERE partner_id = $1 AND chain_seq > $4 AND occurred_at >= $2 AND occurred_at < $3)",
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
                covered_in_period: (events_in_period - uncovered_in_period).max(0) as u64,
                public_key: public_key_hex(&state.checkpoint_key),
            })
        }
        .await,
    )
}
