//! What each user chose to see: language, the log's columns, the time zone. Remembered per
//! user in the database, so the choice follows them to another browser.

#[cfg(feature = "ssr")]
pub mod store;
pub mod view;

use serde::{Deserialize, Serialize};

use crate::i18n::Locale;
use view::{Column, ZoneChoice};

/// `None` where the user has not chosen: the browser's language, the default columns, their
/// own time zone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preferences {
    pub locale: Option<Locale>,
    pub columns: Option<Vec<Column>>,
    pub zone: Option<ZoneChoice>,
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
