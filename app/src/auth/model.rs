//! Who is signed in, and what their role allows.

use crate::i18n::Locale;
use crate::ids::{PartnerId, UserId};
use serde::{Deserialize, Serialize};

/// Partner Center roles known to this product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    GlobalAdmin,
    BillingAdmin,
    UserManagementAdmin,
    AdminAgent,
    SalesAgent,
    HelpdeskAgent,
    ReferralsAdmin,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::GlobalAdmin,
        Role::BillingAdmin,
        Role::UserManagementAdmin,
        Role::AdminAgent,
        Role::SalesAgent,
        Role::HelpdeskAgent,
        Role::ReferralsAdmin,
    ];

    /// The stable name stored in `partner_users.role`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::GlobalAdmin => "global_admin",
            Role::BillingAdmin => "billing_admin",
            Role::UserManagementAdmin => "user_management_admin",
            Role::AdminAgent => "admin_agent",
            Role::SalesAgent => "sales_agent",
            Role::HelpdeskAgent => "helpdesk_agent",
            Role::ReferralsAdmin => "referrals_admin",
        }
    }

    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == name)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::GlobalAdmin => "Global admin",
            Role::BillingAdmin => "Billing admin",
            Role::UserManagementAdmin => "User management admin",
            Role::AdminAgent => "Admin agent",
            Role::SalesAgent => "Sales agent",
            Role::HelpdeskAgent => "Helpdesk agent",
            Role::ReferralsAdmin => "Referrals admin",
        }
    }

    pub fn label_in(self, l: Locale) -> &'static str {
        match self {
            Role::GlobalAdmin => tr!(l, roles.global_admin),
            Role::BillingAdmin => tr!(l, roles.billing_admin),
            Role::UserManagementAdmin => tr!(l, roles.user_management_admin),
            Role::AdminAgent => tr!(l, roles.admin_agent),
            Role::SalesAgent => tr!(l, roles.sales_agent),
            Role::HelpdeskAgent => tr!(l, roles.helpdesk_agent),
            Role::ReferralsAdmin => tr!(l, roles.referrals_admin),
        }
    }

    /// The roles Partner Center lets open Account settings → Activity log.
    pub fn can_view_activity_log(self) -> bool {
        !matches!(self, Role::ReferralsAdmin)
    }

    /// API tokens let other systems write into the log: Global admins only.
    pub fn can_manage_api_tokens(self) -> bool {
        self == Role::GlobalAdmin
    }
}

/// Something a role may or may not do, with the words that explain a refusal.
#[derive(Debug, Clone, Copy)]
pub struct Permission {
    pub allows: fn(Role) -> bool,
    /// "Your role can't view the activity log", in a language.
    pub refused: fn(Locale) -> &'static str,
    /// "Only Global admins can manage API tokens.", in a language.
    pub who_can: fn(Locale) -> &'static str,
}

pub const VIEW_ACTIVITY_LOG: Permission = Permission {
    allows: Role::can_view_activity_log,
    refused: |l| tr!(l, roles.refused_view_log),
    who_can: |l| tr!(l, roles.who_can_view_log),
};

pub const MANAGE_API_TOKENS: Permission = Permission {
    allows: Role::can_manage_api_tokens,
    refused: |l| tr!(l, roles.refused_manage_tokens),
    who_can: |l| tr!(l, roles.who_can_manage_tokens),
};

/// How the partner's people sign in (its own OpenID provider): Global admins only.
pub const MANAGE_SIGN_IN: Permission = Permission {
    allows: |role| role == Role::GlobalAdmin,
    refused: |l| tr!(l, roles.refused_manage_sign_in),
    who_can: |l| tr!(l, roles.who_can_manage_sign_in),
};

/// Where the partner's log is streamed (webhooks, syslog): Global admins only.
pub const MANAGE_LOG_STREAMING: Permission = Permission {
    allows: |role| role == Role::GlobalAdmin,
    refused: |l| tr!(l, roles.refused_manage_log_streaming),
    who_can: |l| tr!(l, roles.who_can_manage_log_streaming),
};

impl Permission {
    /// What a refused server call says, in the caller's language.
    pub fn refusal_in(&self, locale: Locale) -> String {
        format!("{}.", (self.refused)(locale))
    }
}

/// The signed-in partner user as the page sees them. Holds nothing secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub user_id: UserId,
    pub partner_id: PartnerId,
    pub partner_name: String,
    pub display_name: String,
    pub email: crate::ids::Email,
    pub role: Role,
    /// Language, columns and time zone as they chose them.
    pub preferences: crate::preferences::Preferences,
}

/// A demo sign-in shown on the sign-in page of the demo database only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoAccount {
    pub email: crate::ids::Email,
    pub role: Role,
    pub partner_name: String,
}

/// The password of every demo account (demo databases only).
pub const DEMO_PASSWORD: &str = "demo-password-1";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exactly_six_roles_may_view_the_activity_log() {
        let allowed: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|role| role.can_view_activity_log())
            .collect();
        assert_eq!(
            allowed,
            vec![
                Role::GlobalAdmin,
                Role::BillingAdmin,
                Role::UserManagementAdmin,
                Role::AdminAgent,
                Role::SalesAgent,
                Role::HelpdeskAgent
            ]
        );
    }

    #[test]
    fn role_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("GlobalAdmin"), None);
    }
}
