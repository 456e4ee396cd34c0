use crate::db::{Db, Tx};

use super::model::{CustomerSubscriptions, SUBSCRIPTIONS_PER_PAGE, Subscription};
use crate::errors::AppError;
use crate::events::CustomerRef;
use crate::ids::{CustomerId, PartnerId};

/// A customer of `partner_id` with one page of its subscriptions (newest start first, page
/// numbers from 0); `None` when the customer does not exist *or belongs to another partner*
/// — the caller can't tell which, on purpose.
pub async fn customer_subscriptions(
    db: &Db,
    partner_id: PartnerId,
    customer_id: CustomerId,
    page: u32,
) -> Result<Option<CustomerSubscriptions>, AppError> {
    let customer: Option<CustomerRow> = crate::db::on_db!(db, |pool| sqlx::query_as(
        "SELECT id, company_name, domain FROM customers WHERE id = $1 AND partner_id = $2"
    )
    .bind(customer_id)
    .bind(partner_id)
    .fetch_optional(pool)
    .await)?;
    let Some(CustomerRow {
        id,
        company_name,
        domain,
    }) = customer
    else {
        return Ok(None);
    };
    let (total,): (i64,) = crate::db::on_db!(db, |pool| sqlx::query_as(
        "SELECT COUNT(*) FROM subscriptions WHERE customer_id = $1"
    )
    .bind(id)
    .fetch_one(pool)
    .await)?;
    // One index range read per page (subscriptions_by_customer_start), however many there are.
    let subscriptions: Vec<Subscription> = crate::db::on_db!(db, |pool| sqlx::query_as(
        "SELECT id, product, quantity, status, start_date FROM subscriptions
         WHERE customer_id = $1 ORDER BY start_date DESC, product, id LIMIT $2 OFFSET $3",
    )
    .bind(id)
    .bind(SUBSCRIPTIONS_PER_PAGE as i64)
    .bind(i64::from(page) * SUBSCRIPTIONS_PER_PAGE as i64)
    .fetch_all(pool)
    .await)?;
    Ok(Some(CustomerSubscriptions {
        customer: CustomerRef { id, company_name },
        domain,
        total: total.max(0) as u64,
        page,
        subscriptions,
    }))
}

#[derive(sqlx::FromRow)]
struct CustomerRow {
    id: CustomerId,
    company_name: String,
    domain: String,
}

pub async fn insert_subscription(
    tx: &mut Tx,
    customer_id: CustomerId,
    subscription: &Subscription,
) -> Result<(), sqlx::Error> {
    crate::db::on_tx!(tx, |conn| sqlx::query(
        "INSERT INTO subscriptions (id, customer_id, product, quantity, status, start_date)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&subscription.id)
    .bind(customer_id)
    .bind(&subscription.product)
    .bind(i64::from(subscription.quantity))
    .bind(&subscription.status)
    .bind(&subscription.start_date)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}
