//! How each destination stands, as the page shows it: the stored state plus its lag behind
//! the partner's chain.

use super::model::DestinationStatus;
use super::store::{self, StoredDestination};
use crate::db::Db;
use crate::errors::AppError;
use crate::ids::PartnerId;

async fn status(
    db: &Db,
    destination: &StoredDestination,
    latest: i64,
) -> Result<DestinationStatus, AppError> {
    let waiting_since = if latest > destination.delivered_position {
        store::stored_after(db, destination.partner_id, destination.delivered_position).await?
    } else {
        None
    };
    Ok(destination.status(latest, waiting_since, chrono::Utc::now().timestamp_millis()))
}

pub async fn of_partner(db: &Db, partner_id: PartnerId) -> Result<Vec<DestinationStatus>, AppError> {
    let latest = crate::event_table::chain::chain_position(db, partner_id).await?;
    let mut statuses = Vec::new();
    for destination in store::list(db, Some(partner_id)).await? {
        statuses.push(status(db, &destination, latest).await?);
    }
    Ok(statuses)
}

pub async fn one(db: &Db, partner_id: PartnerId, id: i64) -> Result<DestinationStatus, AppError> {
    let destination = store::get_for(db, partner_id, id).await?;
    let latest = crate::event_table::chain::chain_position(db, partner_id).await?;
    status(db, &destination, latest).await
}
