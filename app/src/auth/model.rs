//! Who is signed in, and what their role allows.

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

    pub fn label_in(self, locale: crate::i18n::Locale) -> &'static str {
        match self {
            Role::GlobalAdmin => locale.pick(self.label(), "전역 관리자"),
            Role::BillingAdmin => locale.pick(self.label(), "청구 관리자"),
            Role::UserManagementAdmin => locale.pick(self.label(), "사용자 관리 관리자"),
            Role::AdminAgent => locale.pick(self.label(), "관리 에이전트"),
            Role::SalesAgent => locale.pick(self.label(), "판매 에이전트"),
            Role::HelpdeskAgent => locale.pick(self.label(), "기술 지원 에이전트"),
            Role::ReferralsAdmin => locale.pick(self.label(), "추천 관리자"),
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
    /// Completes "Your role can't …".
    pub action: &'static str,
    /// Who can, for the refusal page.
    pub allowed_roles: &'static str,
    /// The refusal page's title and explanation in Korean.
    pub refused_title_ko: &'static str,
    pub allowed_roles_ko: &'static str,
}

pub const VIEW_ACTIVITY_LOG: Permission = Permission {
    allows: Role::can_view_activity_log,
    action: "view the activity log",
    allowed_roles: "Global admins, Billing admins, User management admins, Admin agents, Sales agents and Helpdesk agents",
    refused_title_ko: "이 역할로는 활동 로그를 볼 수 없습니다",
    allowed_roles_ko: "전역 관리자, 청구 관리자, 사용자 관리 관리자, 관리 에이전트, 판매 에이전트, 기술 지원 에이전트",
};

pub const MANAGE_API_TOKENS: Permission = Permission {
    allows: Role::can_manage_api_tokens,
    action: "manage API tokens",
    allowed_roles: "Global admins",
    refused_title_ko: "이 역할로는 API 토큰을 관리할 수 없습니다",
    allowed_roles_ko: "전역 관리자",
};

impl Permission {
    /// What a refused server call says, in the caller's language.
    pub fn refusal_in(&self, locale: crate::i18n::Locale) -> String {
        match locale {
            crate::i18n::Locale::En => format!("Your role can't {}.", self.action),
            crate::i18n::Locale::Ko => format!("{}.", self.refused_title_ko),
        }
    }
}

/// The signed-in partner user as the page sees them. Holds nothing secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub user_id: i64,
    pub partner_id: i64,
    pub partner_name: String,
    pub display_name: String,
    pub email: String,
    pub role: Role,
    /// Language, columns and time zone as they chose them.
    pub preferences: crate::preferences::Preferences,
}

/// A demo sign-in shown on the sign-in page of the demo database only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoAccount {
    pub email: String,
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
