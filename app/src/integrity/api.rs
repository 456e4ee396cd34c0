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
            let (chain, events_in_period, uncovered_in_period) = state
                .verified_chains
                .report_and_period(
                    &state.pool,
                    viewer.partner_id,
                    &state.checkpoint_key,
                    (to_db_time(range.from), to_db_time(range.to)),
                )
                .await?;
            Ok(PeriodIntegrity {
                chain,
                events_in_period,
                covered_in_period: events_in_period.saturating_sub(uncovered_in_period),
                public_key: public_key_hex(&state.checkpoint_key),
            })
        }
        .await,
    )
}
