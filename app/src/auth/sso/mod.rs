//! Signing in through a partner's own OpenID provider (OpenID Connect), which a Global admin
//! sets up under Account settings → Sign-in (`sign_in_settings`). The sign-in page sends an
//! email of its domains there (`api::find_sign_in_way`); `handlers` take the browser there and
//! back, `flow` checks what comes back, `store` holds the settings and sign-ins under way.
//! What the server keeps of each provider (discovery, keys) is `state::identity_providers`.

pub mod api;
pub mod model;

#[cfg(feature = "ssr")]
pub mod flow;
#[cfg(feature = "ssr")]
pub mod handlers;
#[cfg(feature = "ssr")]
pub mod store;
