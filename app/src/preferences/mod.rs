//! What each user chose to see: language, the log's columns, the time zone. Remembered per
//! user in the database, so the choice follows them to another browser.

pub mod api;
#[cfg(feature = "ssr")]
pub mod store;

use serde::{Deserialize, Serialize};

use crate::activity::view_state::{Column, ZoneChoice};
use crate::i18n::Locale;

/// `None` where the user has not chosen: the browser's language, the default columns, their
/// own time zone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preferences {
    pub locale: Option<Locale>,
    pub columns: Option<Vec<Column>>,
    pub zone: Option<ZoneChoice>,
}
