//! The columns and the time zone a viewer picks: written into the URL at once, and saved for
//! them (`save_view_preferences`) so the next page, in any browser, starts with them. If
//! saving fails, the page says the choice was not remembered (the URL still shows it).

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::log_view::LogView;
use crate::activity::api::save_view_preferences;
use crate::activity::view::{Column, ZoneChoice, columns_text};
use crate::i18n::{Locale, use_locale};

#[derive(Clone, Copy)]
pub(super) struct SavedChoices {
    view: LogView,
    locale: Locale,
    /// Why the last choice was not saved, in the page's language.
    not_remembered: RwSignal<Option<String>>,
}

impl SavedChoices {
    pub(super) fn new(view: LogView) -> SavedChoices {
        SavedChoices {
            view,
            locale: use_locale(),
            not_remembered: RwSignal::new(None),
        }
    }

    pub(super) fn set_columns(self, chosen: Vec<Column>) {
        self.view
            .url
            .update(false, |view| view.columns = Some(chosen.clone()));
        self.save(columns_text(&chosen), String::new());
    }

    pub(super) fn set_zone(self, chosen: ZoneChoice) {
        self.view.url.update(false, |view| view.zone = Some(chosen));
        self.save(String::new(), chosen.key().to_string());
    }

    /// An empty argument leaves that choice as it was saved.
    fn save(self, columns: String, zone: String) {
        let (l, not_remembered) = (self.locale, self.not_remembered);
        spawn_local(async move {
            not_remembered.set(
                save_view_preferences(columns, zone)
                    .await
                    .err()
                    .map(|error| tr!(l, log.view_not_saved, why = error.message_in(l))),
            );
        });
    }

    /// The alert under the view's options when a choice was not saved.
    pub(super) fn alert(self) -> impl IntoView {
        move || {
            self.not_remembered
                .get()
                .map(|text| view! { <p class="error not-remembered" role="alert">{text}</p> })
        }
    }
}
