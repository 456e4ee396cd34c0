//! Account settings → Sign-in: a Global admin sets up the partner's own OpenID provider
//! (the sign-in through it is `auth::sso`).

pub mod api;
pub mod page;
