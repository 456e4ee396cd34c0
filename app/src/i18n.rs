//! The page's language: English, Korean and Japanese. The words live in `app/locales/<tag>.json`
//! (one file per language, keys grouped by screen); `build.rs` turns them into code with
//! leptos_i18n, so a key used here but missing from a file, or present in one file and not
//! another, fails the build. Components write `tr!(l, log.export_log)`; a sentence with values
//! names them: `tr!(l, log.showing_day, day = text)`. Adding a language is a file plus a line in
//! `build.rs` and in [`Locale`]. Dates and numbers are formatted by the browser's `Intl` from
//! [`Locale::tag`].
//!
//! The language is chosen before the first byte is rendered, the same way on the server and
//! in the browser: the server reads the `alog_lang` cookie (set from the user's saved choice)
//! or else the browser's `Accept-Language`, and writes it into `<html lang>`; the browser
//! reads it back from there when it hydrates. It stays fixed while a page lives: switching
//! saves the choice and reloads, and since the URL holds the activity log's whole view, the
//! same view comes back in the other language.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The code `build.rs` generated from `locales/*.json` (its own `Locale` enum and key tree).
#[allow(unused_imports, unreachable_pub, clippy::all)]
pub mod words {
    include!(concat!(env!("OUT_DIR"), "/i18n/mod.rs"));
}

/// The text of `key` (a path in the locale files) in language `l`, with `{{ name }}` values:
/// `tr!(l, tokens.create_token)`, `tr!(l, chart.events_total, count = text)`. A `&'static str`
/// without values, a `String` with them. In scope in every module declared after `i18n` in
/// `lib.rs` (`#[macro_use]`); not exported, since only this crate has the words.
macro_rules! tr {
    ($locale:expr, $($key_and_values:tt)*) => {
        ::leptos_i18n::td_string!($locale.words(), $($key_and_values)*)
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Locale {
    #[default]
    En,
    Ko,
    Ja,
}

/// The cookie that carries the chosen language to the server's first render.
pub const LANGUAGE_COOKIE: &str = "alog_lang";

impl Locale {
    pub const ALL: [Locale; 3] = [Locale::En, Locale::Ko, Locale::Ja];

    /// The BCP 47 tag, as in `<html lang>` and the `lang` URL and form fields.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Ko => "ko",
            Locale::Ja => "ja",
        }
    }

    /// The tag the browser's `Intl` formats dates and numbers with.
    pub fn intl_tag(self) -> &'static str {
        match self {
            Locale::En => "en-US",
            Locale::Ko => "ko-KR",
            Locale::Ja => "ja-JP",
        }
    }

    pub fn parse(tag: &str) -> Option<Locale> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        Locale::ALL.into_iter().find(|locale| locale.tag() == primary)
    }

    /// What a request naming a language we don't have is told.
    pub fn unknown_tag(tag: &str) -> String {
        let tags: Vec<&str> = Locale::ALL.iter().map(|locale| locale.tag()).collect();
        format!("No language {tag:?}; use one of {}.", tags.join(", "))
    }

    /// The language's own name, for the switcher.
    pub fn native_name(self) -> &'static str {
        match self {
            Locale::En => "English",
            Locale::Ko => "한국어",
            Locale::Ja => "日本語",
        }
    }

    /// The same language in the generated code, for [`tr!`].
    pub fn words(self) -> words::i18n::Locale {
        match self {
            Locale::En => words::i18n::Locale::en,
            Locale::Ko => words::i18n::Locale::ko,
            Locale::Ja => words::i18n::Locale::ja,
        }
    }

    /// The first of the browser's languages we have, in its order of preference
    /// (`Accept-Language: ko-KR,ko;q=0.9,en;q=0.8`).
    pub fn from_accept_language(header: &str) -> Option<Locale> {
        let mut choices: Vec<(f32, Locale)> = header
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.split(';');
                let locale = Locale::parse(pieces.next()?)?;
                let quality = pieces
                    .find_map(|piece| piece.trim().strip_prefix("q="))
                    .map(|q| q.parse::<f32>().unwrap_or(0.0))
                    .unwrap_or(1.0);
                (quality > 0.0).then_some((quality, locale))
            })
            .collect();
        // Stable: equal qualities keep the header's order.
        choices.sort_by(|a, b| b.0.total_cmp(&a.0));
        choices.first().map(|(_, locale)| *locale)
    }

    /// 1234567 → "1,234,567" (all three languages group thousands with commas).
    pub fn number(self, number: u64) -> String {
        let digits = number.to_string();
        let mut out = String::new();
        for (index, digit) in digits.chars().enumerate() {
            if index > 0 && (digits.len() - index).is_multiple_of(3) {
                out.push(',');
            }
            out.push(digit);
        }
        out
    }
}

/// The page's language, shared by every component.
pub fn use_locale() -> Locale {
    use_context::<Locale>().unwrap_or_default()
}

/// Called once by `App`: the language of this render.
pub fn provide_locale() {
    provide_context(initial_locale());
}

/// On the server: the cookie, else `Accept-Language`, else English.
/// In the browser: what the server wrote into `<html lang>`.
pub fn initial_locale() -> Locale {
    #[cfg(feature = "ssr")]
    {
        request_locale()
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        web_sys::window()
            .and_then(|window| window.document())
            .and_then(|document| document.document_element())
            .and_then(|html| html.get_attribute("lang"))
            .and_then(|tag| Locale::parse(&tag))
            .unwrap_or_default()
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    Locale::En
}

/// The language of the request being served, so a server function answers in the words of
/// the page that called it. English outside a Leptos request (plain axum handlers pass their
/// headers to [`locale_of_request`] instead).
#[cfg(feature = "ssr")]
pub fn request_locale() -> Locale {
    use_context::<http::request::Parts>()
        .map(|parts| locale_of_request(&parts.headers))
        .unwrap_or_default()
}

#[cfg(feature = "ssr")]
pub fn locale_of_request(headers: &http::HeaderMap) -> Locale {
    let from_cookie = headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(LANGUAGE_COOKIE)?.strip_prefix('='))
        .and_then(Locale::parse);
    from_cookie
        .or_else(|| {
            headers
                .get(http::header::ACCEPT_LANGUAGE)
                .and_then(|value| value.to_str().ok())
                .and_then(Locale::from_accept_language)
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_browsers_preferred_language_wins() {
        assert_eq!(
            Locale::from_accept_language("ko-KR,ko;q=0.9,en;q=0.8"),
            Some(Locale::Ko)
        );
        assert_eq!(
            Locale::from_accept_language("en-US,en;q=0.9,ko;q=0.8"),
            Some(Locale::En)
        );
        assert_eq!(
            Locale::from_accept_language("fr-FR,ko;q=0.5,en;q=0.7"),
            Some(Locale::En)
        );
        assert_eq!(Locale::from_accept_language("de, ko;q=0"), None);
        assert_eq!(Locale::from_accept_language(""), None);
        assert_eq!(Locale::from_accept_language("*"), None);
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn the_cookie_beats_the_browser_language() {
        let mut headers = http::HeaderMap::new();
        headers.insert(http::header::ACCEPT_LANGUAGE, "ko-KR".parse().unwrap());
        assert_eq!(locale_of_request(&headers), Locale::Ko);
        headers.insert(
            http::header::COOKIE,
            "alog_session=x; alog_lang=en".parse().unwrap(),
        );
        assert_eq!(locale_of_request(&headers), Locale::En);
        headers.insert(http::header::COOKIE, "alog_lang=xx".parse().unwrap());
        assert_eq!(locale_of_request(&headers), Locale::Ko);
        assert_eq!(locale_of_request(&http::HeaderMap::new()), Locale::En);
    }

    #[test]
    fn numbers_are_grouped_by_thousands() {
        assert_eq!(Locale::En.number(0), "0");
        assert_eq!(Locale::Ko.number(999), "999");
        assert_eq!(Locale::En.number(1000), "1,000");
        assert_eq!(Locale::Ko.number(1234567), "1,234,567");
    }
}
