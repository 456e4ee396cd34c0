//! What the page and the server say to each other about a partner's OpenID provider: its
//! settings as Account settings shows them (never the client secret), the role mapping, and
//! the way a given email signs in.

use serde::{Deserialize, Serialize};

use crate::auth::model::Role;

/// Where the provider sends the browser back to (`redirect_uri`), below this server's origin.
pub const CALLBACK_PATH: &str = "/sso/callback";
/// Where the sign-in page sends an email whose domain has a provider.
pub const START_PATH: &str = "/sso/start";
/// Where sign-out sends a session a provider opened, to go on to the provider's sign-out.
pub const SIGNED_OUT_PATH: &str = "/sso/signed-out";

pub fn signed_out_path(partner_id: crate::ids::PartnerId) -> String {
    format!("{SIGNED_OUT_PATH}?partner={partner_id}")
}

/// A partner's provider as its Global admins see it. Holds nothing secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderSettings {
    pub issuer: String,
    pub client_id: String,
    /// Lowercase, e.g. `contoso.example`.
    pub domains: Vec<String>,
    pub roles: RoleMapping,
    pub create_users: bool,
    pub require_provider: bool,
    /// The one Global admin who may still sign in with a password when the provider is
    /// required.
    pub break_glass_email: Option<crate::ids::Email>,
    /// What to register at the provider as the redirect URI.
    pub redirect_uri: String,
}

/// Which ID token claim says a person's roles, and the claim values that grant each role.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleMapping {
    /// e.g. `groups` (Keycloak, Okta) or `roles` (Entra ID app roles).
    pub claim: String,
    /// Per role, the values that grant it; a role without values is never granted.
    pub values: Vec<(Role, Vec<String>)>,
}

/// The longest claim name and claim value a mapping may hold.
pub const MAX_CLAIM_CHARS: usize = 200;
/// Values one role may list.
pub const MAX_VALUES_PER_ROLE: usize = 50;

impl RoleMapping {
    /// The values granting `role`.
    pub fn values_of(&self, role: Role) -> &[String] {
        self.values
            .iter()
            .find(|(listed, _)| *listed == role)
            .map_or(&[], |(_, values)| values.as_slice())
    }

    /// The role a person with these claim values gets: of the roles one of them grants, the
    /// one listed first in [`Role::ALL`] (Global admin before the rest); `None` when none
    /// does.
    pub fn role_for<'a>(&self, claim_values: impl IntoIterator<Item = &'a str> + Clone) -> Option<Role> {
        Role::ALL.into_iter().find(|role| {
            let granting = self.values_of(*role);
            claim_values
                .clone()
                .into_iter()
                .any(|value| granting.iter().any(|granted| granted == value))
        })
    }

    /// A role's values as one line for a form field: `a, b, c`.
    pub fn line_of(&self, role: Role) -> String {
        self.values_of(role).join(", ")
    }

    /// Parses one form field per role (values separated by commas or new lines) under
    /// `claim`. Every refusal names its field.
    pub fn parse(claim: &str, lines: &[(Role, &str)]) -> Result<RoleMapping, MappingError> {
        let claim = claim.trim();
        let mut values = Vec::new();
        for (role, line) in lines {
            let listed: Vec<String> = line
                .split([',', '\n'])
                .map(str::trim)
                .filter(|value| !value.is_empty())
                .map(str::to_string)
                .collect();
            if listed.len() > MAX_VALUES_PER_ROLE {
                return Err(MappingError::TooManyValues(*role));
            }
            if let Some(bad) = listed
                .iter()
                .find(|value| value.chars().count() > MAX_CLAIM_CHARS || value.chars().any(char::is_control))
            {
                return Err(MappingError::BadValue(*role, bad.clone()));
            }
            if !listed.is_empty() {
                values.push((*role, listed));
            }
        }
        let claim_ok = !claim.is_empty()
            && claim.chars().count() <= MAX_CLAIM_CHARS
            && claim
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.:/".contains(c));
        if !claim_ok && (!values.is_empty() || !claim.is_empty()) {
            return Err(MappingError::BadClaim);
        }
        Ok(RoleMapping {
            claim: claim.to_string(),
            values,
        })
    }
}

/// Why a role mapping was refused; each names the form field at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MappingError {
    /// The claim name is empty while values are given, or holds other than letters, digits
    /// and `_-.:/`.
    BadClaim,
    TooManyValues(Role),
    /// A value too long or with a control character.
    BadValue(Role, String),
}

/// How an email signs in, decided by its domain alone (so it says nothing about whether an
/// account exists).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SignInWay {
    Password,
    /// Through the partner's provider: the browser goes to `start`.
    Provider {
        start: String,
    },
}

/// Why a sign-in through a provider ended without a session; the sign-in page reads it from
/// `?sso_error=` and says it in the reader's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProviderRefusal {
    /// The browser came back without the sign-in it started here (another browser, too
    /// late, or a `state` that does not match).
    NotStartedHere,
    /// The provider could not be reached or answered wrongly in time.
    ProviderDown,
    /// The provider refused the sign-in or the code (e.g. used twice).
    ProviderRefused,
    /// The ID token failed a check (signature, issuer, audience, time, nonce).
    BadToken,
    /// No email, or one the provider has not verified.
    EmailNotVerified,
    /// An email outside the domains this provider answers for.
    WrongDomain,
    /// Known email, but no account here and none may be made, or no role maps.
    NoAccess,
}

impl ProviderRefusal {
    pub const ALL: [ProviderRefusal; 7] = [
        ProviderRefusal::NotStartedHere,
        ProviderRefusal::ProviderDown,
        ProviderRefusal::ProviderRefused,
        ProviderRefusal::BadToken,
        ProviderRefusal::EmailNotVerified,
        ProviderRefusal::WrongDomain,
        ProviderRefusal::NoAccess,
    ];

    /// The name in `?sso_error=`.
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderRefusal::NotStartedHere => "not_started_here",
            ProviderRefusal::ProviderDown => "provider_down",
            ProviderRefusal::ProviderRefused => "provider_refused",
            ProviderRefusal::BadToken => "bad_token",
            ProviderRefusal::EmailNotVerified => "email_not_verified",
            ProviderRefusal::WrongDomain => "wrong_domain",
            ProviderRefusal::NoAccess => "no_access",
        }
    }

    pub fn parse(name: &str) -> Option<ProviderRefusal> {
        ProviderRefusal::ALL
            .into_iter()
            .find(|refusal| refusal.as_str() == name)
    }

    pub fn message_in(self, l: crate::i18n::Locale) -> &'static str {
        match self {
            ProviderRefusal::NotStartedHere => tr!(l, sso.not_started_here),
            ProviderRefusal::ProviderDown => tr!(l, sso.provider_down),
            ProviderRefusal::ProviderRefused => tr!(l, sso.provider_refused),
            ProviderRefusal::BadToken => tr!(l, sso.bad_token),
            ProviderRefusal::EmailNotVerified => tr!(l, sso.email_not_verified),
            ProviderRefusal::WrongDomain => tr!(l, sso.wrong_domain),
            ProviderRefusal::NoAccess => tr!(l, sso.no_access),
        }
    }
}

/// Where the sign-in page sends `email` when its domain has a provider.
pub fn start_path(email: &crate::ids::Email) -> String {
    format!("{START_PATH}?email={}", percent_encoded(email.as_str()))
}

/// `text` as one query parameter's value.
pub fn percent_encoded(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).collect()
}

/// The domain of an email (after its last `@`), if it has one that could be a host name.
pub fn email_domain(email: &str) -> Option<&str> {
    let (_, domain) = email.rsplit_once('@')?;
    let plausible = !domain.is_empty()
        && domain.len() <= 253
        && domain
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'.');
    plausible.then_some(domain)
}

/// The domains of a form field (separated by commas, spaces or new lines), lowercase; the
/// first one that is not a plausible host name is the error.
pub fn parse_domains(text: &str) -> Result<Vec<String>, String> {
    let mut domains: Vec<String> = Vec::new();
    for domain in text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|domain| !domain.is_empty())
    {
        let domain = domain.trim_start_matches('@').to_lowercase();
        let plausible = domain.contains('.')
            && email_domain(&format!("x@{domain}")) == Some(domain.as_str())
            && !domain.starts_with('.')
            && !domain.ends_with('.');
        if !plausible {
            return Err(domain);
        }
        if !domains.contains(&domain) {
            domains.push(domain);
        }
    }
    Ok(domains)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping() -> RoleMapping {
        RoleMapping::parse(
            "groups",
            &[
                (Role::GlobalAdmin, "alog-admins"),
                (Role::HelpdeskAgent, "helpdesk, support\nfront-line"),
            ],
        )
        .unwrap()
    }

    #[test]
    fn the_most_powerful_mapped_role_wins_and_unmapped_values_grant_nothing() {
        let mapping = mapping();
        assert_eq!(mapping.role_for(["support"]), Some(Role::HelpdeskAgent));
        assert_eq!(
            mapping.role_for(["support", "alog-admins"]),
            Some(Role::GlobalAdmin)
        );
        assert_eq!(mapping.role_for(["sales"]), None);
        assert_eq!(mapping.role_for(Vec::<&str>::new()), None);
        assert_eq!(
            mapping.line_of(Role::HelpdeskAgent),
            "helpdesk, support, front-line"
        );
    }

    #[test]
    fn a_malformed_mapping_names_its_field() {
        assert_eq!(
            RoleMapping::parse("", &[(Role::SalesAgent, "sales")]),
            Err(MappingError::BadClaim)
        );
        assert_eq!(
            RoleMapping::parse("groups; drop", &[]),
            Err(MappingError::BadClaim)
        );
        assert_eq!(
            RoleMapping::parse("groups", &[(Role::SalesAgent, "a\u{7}b")]),
            Err(MappingError::BadValue(Role::SalesAgent, "a\u{7}b".into()))
        );
        let many = vec!["v"; MAX_VALUES_PER_ROLE + 1].join(",");
        assert_eq!(
            RoleMapping::parse("groups", &[(Role::BillingAdmin, &many)]),
            Err(MappingError::TooManyValues(Role::BillingAdmin))
        );
        assert_eq!(RoleMapping::parse("", &[]), Ok(RoleMapping::default()));
    }

    #[test]
    fn domains_are_read_loosely_and_checked_strictly() {
        assert_eq!(
            parse_domains("Contoso.example, @fabrikam.example\nContoso.example"),
            Ok(vec![
                "contoso.example".to_string(),
                "fabrikam.example".to_string()
            ])
        );
        assert_eq!(parse_domains("contoso"), Err("contoso".to_string()));
        assert_eq!(
            parse_domains("evil.example/path"),
            Err("evil.example/path".to_string())
        );
        assert_eq!(email_domain("a@b.example"), Some("b.example"));
        assert_eq!(email_domain("a@"), None);
    }

    #[test]
    fn refusals_round_trip_through_the_url() {
        for refusal in ProviderRefusal::ALL {
            assert_eq!(ProviderRefusal::parse(refusal.as_str()), Some(refusal));
        }
    }
}
