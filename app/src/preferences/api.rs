//! Server functions that remember what a user chose.

use leptos::prelude::*;

use crate::errors::AppError;

/// Shows the app in `lang` (`en` or `ko`) from now on: a cookie for this browser's next
/// pages (before sign-in too), and the signed-in user's saved choice.
#[server(endpoint = "choose_language")]
pub async fn choose_language(lang: String) -> Result<(), AppError> {
    use super::{Preferences, store};
    use crate::auth::session;
    use crate::errors::with_status;
    use crate::i18n::Locale;
    use crate::state::app_state;

    with_status(
        async {
            let locale = Locale::parse(&lang)
                .filter(|locale| locale.tag() == lang)
                .ok_or_else(|| AppError::InvalidInput(Locale::unknown_tag(&lang)))?;
            let state = app_state()?;
            if let Some(viewer) = session::current_viewer(&state).await? {
                let chosen = Preferences {
                    locale: Some(locale),
                    ..Preferences::default()
                };
                store::save(&state.pool, viewer.user_id, &chosen).await?;
            }
            session::send_cookie(&language_cookie(locale))?;
            Ok(())
        }
        .await,
    )
}

/// A year-long, site-wide cookie naming the language (nothing secret in it).
#[cfg(feature = "ssr")]
pub fn language_cookie(locale: crate::i18n::Locale) -> String {
    format!(
        "{}={}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly",
        crate::i18n::LANGUAGE_COOKIE,
        locale.tag()
    )
}

/// Remembers the activity log's columns (`time,customer,…`) and time zone (`local` or `utc`)
/// for the signed-in user; an empty argument leaves that choice as it was.
#[server(endpoint = "save_view_preferences")]
pub async fn save_view_preferences(columns: String, time_zone: String) -> Result<(), AppError> {
    use super::{Preferences, store};
    use crate::activity::view_state::{ZoneChoice, chosen_columns};
    use crate::auth::session;
    use crate::errors::with_status;
    use crate::state::app_state;

    with_status(
        async {
            let state = app_state()?;
            let viewer = session::require_activity_log_role(session::current_viewer(&state).await?)?;
            let columns = chosen_columns(&columns).map_err(AppError::InvalidInput)?;
            let zone = match time_zone.trim() {
                "" => None,
                text => Some(ZoneChoice::parse(text).ok_or_else(|| {
                    AppError::InvalidInput(format!("No time zone choice {text:?}; use local or utc."))
                })?),
            };
            let chosen = Preferences {
                locale: None,
                columns,
                zone,
            };
            store::save(&state.pool, viewer.user_id, &chosen).await
        }
        .await,
    )
}
