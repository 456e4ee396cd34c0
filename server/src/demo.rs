//! Demo data: two partners, their users and customers, and a few thousand events spread over
//! the last 13 months. Deterministic: the same seed and `now` give the same database.

use app::auth::model::{DEMO_PASSWORD, Role};
use app::customers;
use app::customers::model::Subscription;
use app::db::Db;
use app::events::NewEvent;
use app::events::{ActionDetails, ActionKind, OrderLine};
use app::ids::{CustomerId, PartnerId, UserId};
use app::integrity::chain::{AppendError, append_new_events};
use app::partners;
use app::password::hash_password_blocking;
use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

pub struct DemoOptions {
    pub seed: u64,
    pub events: usize,
    /// The end of the demo's history; events fall in the 13 months before it.
    pub now: DateTime<Utc>,
}

#[derive(Debug, PartialEq, Eq)]
pub struct DemoSummary {
    pub partners: usize,
    pub users: usize,
    pub customers: usize,
    pub events: usize,
    pub subscriptions: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("the database already holds data; seed a new file instead")]
    NotEmpty,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Append(#[from] AppendError),
}

struct DemoPartner {
    name: &'static str,
    domain: &'static str,
    users: &'static [(&'static str, &'static str, Role)],
    customers: &'static [(&'static str, &'static str)],
}

const PARTNERS: [DemoPartner; 2] = [
    DemoPartner {
        name: "Contoso Partners",
        domain: "contoso.example",
        users: &[
            ("Grace Park", "global.admin", Role::GlobalAdmin),
            ("Bilal Khan", "billing.admin", Role::BillingAdmin),
            ("Ursula Meyer", "user.admin", Role::UserManagementAdmin),
            ("Aiden Cho", "admin.agent", Role::AdminAgent),
            ("Sofia Alvarez", "sales.agent", Role::SalesAgent),
            ("Hana Kim", "helpdesk.agent", Role::HelpdeskAgent),
            ("Ravi Patel", "referrals.admin", Role::ReferralsAdmin),
        ],
        customers: &[
            ("Adatum Corporation", "adatum.example"),
            ("Northwind Traders", "northwind.example"),
            ("Tailspin Toys", "tailspin.example"),
            ("Woodgrove Bank", "woodgrove.example"),
            ("Litware, Inc.", "litware.example"),
            ("Fourth Coffee \"Roastery\"", "fourthcoffee.example"),
            ("주식회사 한빛소프트", "hanbitsoft.example"),
            ("서울데이터 주식회사", "seoul-data.example"),
            ("=SUM(A1:A9) Analytics", "sum-analytics.example"),
            ("Proseware, Inc.", "proseware.example"),
            ("Wide World Importers", "wideworld.example"),
            ("Lucerne Publishing", "lucerne.example"),
        ],
    },
    DemoPartner {
        name: "Fabrikam Solutions",
        domain: "fabrikam.example",
        users: &[("Felix Wagner", "global.admin", Role::GlobalAdmin)],
        customers: &[
            ("Alpine Ski House", "alpineskihouse.example"),
            ("Coho Winery", "cohowinery.example"),
            ("Relecloud", "relecloud.example"),
            ("부산해운 주식회사", "busan-shipping.example"),
        ],
    },
];

const PRODUCTS: [&str; 11] = [
    "Microsoft 365 E3",
    "Microsoft 365 Business Premium",
    "Office 365 E1",
    "Exchange Online (Plan 1)",
    "Microsoft Teams Phone Standard",
    "Azure plan",
    "Dynamics 365 Sales Enterprise",
    "Power BI Pro",
    "Visio Plan 2",
    "Project Plan 3",
    "Windows 365 Enterprise",
];

const DEALS: [&str; 5] = [
    "Microsoft 365 migration",
    "Azure landing zone",
    "Teams Phone roll-out",
    "Dynamics 365 pilot",
    "Security assessment",
];

const CUSTOMER_USERS: [&str; 8] = [
    "megan", "alex", "jiwoo", "minji", "lee", "pradeep", "isabel", "tomas",
];

/// Days of history before `now`: 13 months.
const HISTORY_DAYS: i64 = 395;

struct Customer {
    id: i64,
    partner: usize,
    domain: &'static str,
}

struct Sub {
    id: String,
    customer_id: CustomerId,
    product: &'static str,
    quantity: u32,
    active: bool,
    start: DateTime<Utc>,
}

struct Event {
    at: DateTime<Utc>,
    partner: usize,
    customer: i64,
    user: i64,
    kind: ActionKind,
    details: ActionDetails,
}

fn guid(rng: &mut StdRng) -> String {
    let bytes: [u8; 16] = rng.r#gen();
    let hex = app::digest::to_hex(&bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Fills an empty database. Partner ids are 1 (Contoso) and 2 (Fabrikam).
pub async fn seed_demo(pool: &Db, options: &DemoOptions) -> Result<DemoSummary, SeedError> {
    if partners::count(pool).await? > 0 {
        return Err(SeedError::NotEmpty);
    }
    let mut rng = StdRng::seed_from_u64(options.seed);
    // Each account gets its own salt; hashing happens before the transaction opens.
    let accounts: Vec<(usize, &str, String, Role, String)> = PARTNERS
        .iter()
        .enumerate()
        .flat_map(|(index, partner)| {
            partner.users.iter().map(move |(name, local, role)| {
                (
                    index,
                    *name,
                    format!("{local}@{}", partner.domain),
                    *role,
                    hash_password_blocking(DEMO_PASSWORD),
                )
            })
        })
        .collect();

    let mut tx = pool.begin().await?;
    for (index, partner) in PARTNERS.iter().enumerate() {
        partners::insert(&mut tx, PartnerId(index as i64 + 1), partner.name, partner.domain).await?;
    }
    // users[partner] = (user id, role) of that partner's users
    let mut users: Vec<Vec<(i64, Role)>> = vec![Vec::new(); PARTNERS.len()];
    for (id, (partner, name, email, role, hash)) in (1..).zip(accounts) {
        let user = partners::NewUser {
            id: UserId(id),
            partner_id: PartnerId(partner as i64 + 1),
            display_name: name,
            email: &email,
            role: role.as_str(),
            password_hash: &hash,
        };
        partners::insert_user(&mut tx, &user).await?;
        users[partner].push((id, role));
    }
    let mut customers = Vec::new();
    for (partner_index, partner) in PARTNERS.iter().enumerate() {
        for (company_name, domain) in partner.customers {
            let id = customers.len() as i64 + 1;
            partners::insert_customer(
                &mut tx,
                CustomerId(id),
                PartnerId(partner_index as i64 + 1),
                company_name,
                domain,
            )
            .await?;
            customers.push(Customer {
                id,
                partner: partner_index,
                domain,
            });
        }
    }

    let history_start = options.now - Duration::days(HISTORY_DAYS);
    // (time, forced kind, forced customer): every customer is created at the start of the
    // history and orders within the last 20 days, so the default month shows them all.
    let mut plan: Vec<(DateTime<Utc>, Option<ActionKind>, Option<usize>)> = Vec::new();
    for index in 0..customers.len() {
        plan.push((
            history_start + Duration::minutes(rng.gen_range(0..60 * 24 * 3)),
            Some(ActionKind::CreatedCustomer),
            Some(index),
        ));
        plan.push((
            options.now - Duration::minutes(rng.gen_range(60..60 * 24 * 20)),
            Some(ActionKind::OrderedSubscriptions),
            Some(index),
        ));
    }
    let free_events = options.events.saturating_sub(plan.len());
    for _ in 0..free_events {
        // After the customers exist (their first 3 days), up to a minute ago.
        let offset = rng.gen_range(4 * 86_400..HISTORY_DAYS * 86_400 - 60);
        plan.push((history_start + Duration::seconds(offset), None, None));
    }
    plan.sort_by_key(|(at, _, _)| *at);

    let mut subscriptions: Vec<Sub> = Vec::new();
    // Each customer's active subscriptions (indices into `subscriptions`), kept up to date
    // so a million events don't rescan every subscription.
    let mut active_by_customer: std::collections::HashMap<i64, Vec<usize>> = Default::default();
    let mut events: Vec<Event> = Vec::with_capacity(plan.len());
    for (at, forced_kind, forced_customer) in plan {
        let customer_index = forced_customer.unwrap_or_else(|| {
            // Contoso is the busier partner: four events in five.
            let partner = if rng.gen_bool(0.8) { 0 } else { 1 };
            let candidates: Vec<usize> = (0..customers.len())
                .filter(|&i| customers[i].partner == partner)
                .collect();
            *candidates.choose(&mut rng).expect("every partner has customers")
        });
        let customer = &customers[customer_index];
        let active = active_by_customer.entry(customer.id).or_default();
        let mut kind = forced_kind.unwrap_or_else(|| match rng.gen_range(0..100) {
            0..30 => ActionKind::OrderedSubscriptions,
            30..50 => ActionKind::ChangedSubscriptionQuantity,
            50..56 => ActionKind::CancelledSubscription,
            56..66 => ActionKind::CreatedReferral,
            66..83 => ActionKind::ResetUserPassword,
            _ => ActionKind::AssignedLicense,
        });
        if active.is_empty()
            && matches!(
                kind,
                ActionKind::ChangedSubscriptionQuantity | ActionKind::CancelledSubscription
            )
        {
            kind = ActionKind::OrderedSubscriptions;
        }
        let user_principal = |rng: &mut StdRng| {
            format!(
                "{}@{}",
                CUSTOMER_USERS.choose(rng).expect("names"),
                customer.domain
            )
        };
        let details = match kind {
            ActionKind::OrderedSubscriptions => {
                let count = rng.gen_range(1..=4);
                let mut products: Vec<&'static str> = PRODUCTS.to_vec();
                products.shuffle(&mut rng);
                let lines = products[..count]
                    .iter()
                    .map(|product| {
                        let sub = Sub {
                            id: guid(&mut rng),
                            customer_id: CustomerId(customer.id),
                            product,
                            quantity: rng.gen_range(1..=250),
                            active: true,
                            start: at,
                        };
                        let line = OrderLine {
                            product: product.to_string(),
                            quantity: sub.quantity,
                            subscription_id: sub.id.clone(),
                        };
                        active.push(subscriptions.len());
                        subscriptions.push(sub);
                        line
                    })
                    .collect();
                ActionDetails::Order {
                    order_id: format!("ORD-{:08}", rng.gen_range(0..100_000_000)),
                    lines,
                }
            }
            ActionKind::ChangedSubscriptionQuantity => {
                let sub = &mut subscriptions[*active.choose(&mut rng).expect("checked non-empty")];
                let old_quantity = sub.quantity;
                let mut new_quantity = rng.gen_range(1..=300);
                if new_quantity == old_quantity {
                    new_quantity += 1;
                }
                sub.quantity = new_quantity;
                ActionDetails::QuantityChange {
                    subscription_id: sub.id.clone(),
                    product: sub.product.to_string(),
                    old_quantity,
                    new_quantity,
                }
            }
            ActionKind::CancelledSubscription => {
                let position = rng.gen_range(0..active.len());
                let sub = &mut subscriptions[active.swap_remove(position)];
                sub.active = false;
                ActionDetails::Cancellation {
                    subscription_id: sub.id.clone(),
                    product: sub.product.to_string(),
                }
            }
            ActionKind::CreatedCustomer => ActionDetails::NewCustomer {
                domain: customer.domain.to_string(),
            },
            ActionKind::CreatedReferral => ActionDetails::Referral {
                referral_id: guid(&mut rng),
                deal_name: DEALS.choose(&mut rng).expect("deals").to_string(),
                estimated_value_usd: rng.gen_range(10..500) * 100,
            },
            ActionKind::ResetUserPassword => ActionDetails::PasswordReset {
                user_principal_name: user_principal(&mut rng),
            },
            ActionKind::AssignedLicense => ActionDetails::LicenseAssignment {
                product: PRODUCTS.choose(&mut rng).expect("products").to_string(),
                user_principal_name: user_principal(&mut rng),
            },
            ActionKind::ExportedActivityLog | ActionKind::ChangedLogStreaming => {
                unreachable!("the demo plan never picks exports or streaming changes")
            }
        };
        let user = pick_actor(&users[customer.partner], kind, &mut rng);
        events.push(Event {
            at,
            partner: customer.partner,
            customer: customer.id,
            user,
            kind,
            details,
        });
    }

    for sub in &subscriptions {
        let subscription = Subscription {
            id: sub.id.clone(),
            product: sub.product.to_string(),
            quantity: sub.quantity,
            status: if sub.active { "active" } else { "cancelled" }.to_string(),
            start_date: sub.start.format("%Y-%m-%d").to_string(),
        };
        customers::store::insert_subscription(&mut tx, sub.customer_id, &subscription).await?;
    }
    // Written through the same chain as ingested events, so a demo database verifies.
    let event_count = events.len();
    let mut chained: Vec<Vec<NewEvent>> = PARTNERS.iter().map(|_| Vec::new()).collect();
    for (index, event) in events.into_iter().enumerate() {
        let partner = &PARTNERS[event.partner];
        chained[event.partner].push(NewEvent {
            external_id: format!(
                "demo-{}-{:07}",
                partner.domain.split('.').next().unwrap_or("p"),
                index + 1
            ),
            occurred_at: event.at,
            customer_id: Some(CustomerId(event.customer)),
            partner_user_id: UserId(event.user),
            action: event.kind,
            action_text: event.kind.label().to_string(),
            details: event.details,
        });
    }
    for (partner, events) in chained.iter().enumerate() {
        // A new database: no event can be a duplicate, so none is looked up.
        append_new_events(&mut tx, PartnerId(partner as i64 + 1), events, options.now).await?;
    }
    partners::mark_demo(&mut tx, options.seed).await?;
    // The seed wrote its own ids: later rows (an account made at first sign-in) follow them.
    if let app::db::Tx::Postgres(transaction) = &mut tx {
        crate::copy::continue_identities(transaction).await?;
    }
    tx.commit().await?;

    Ok(DemoSummary {
        partners: PARTNERS.len(),
        users: users.iter().map(Vec::len).sum(),
        customers: customers.len(),
        events: event_count,
        subscriptions: subscriptions.len(),
    })
}

/// A user whose role plausibly did `kind`; a partner with one user does everything.
fn pick_actor(users: &[(i64, Role)], kind: ActionKind, rng: &mut StdRng) -> i64 {
    let fits = |role: Role| match kind {
        ActionKind::OrderedSubscriptions
        | ActionKind::ChangedSubscriptionQuantity
        | ActionKind::CancelledSubscription => {
            matches!(
                role,
                Role::GlobalAdmin | Role::AdminAgent | Role::SalesAgent | Role::BillingAdmin
            )
        }
        ActionKind::CreatedCustomer => {
            matches!(role, Role::GlobalAdmin | Role::AdminAgent | Role::SalesAgent)
        }
        ActionKind::CreatedReferral => matches!(role, Role::ReferralsAdmin | Role::SalesAgent),
        ActionKind::ResetUserPassword => {
            matches!(
                role,
                Role::HelpdeskAgent | Role::UserManagementAdmin | Role::AdminAgent
            )
        }
        ActionKind::AssignedLicense => {
            matches!(
                role,
                Role::UserManagementAdmin | Role::AdminAgent | Role::HelpdeskAgent
            )
        }
        ActionKind::ExportedActivityLog => role.can_view_activity_log(),
        ActionKind::ChangedLogStreaming => role == Role::GlobalAdmin,
    };
    let fitting: Vec<i64> = users
        .iter()
        .filter(|(_, role)| fits(*role))
        .map(|(id, _)| *id)
        .collect();
    match fitting.choose(rng) {
        Some(id) => *id,
        None => users[0].0,
    }
}
