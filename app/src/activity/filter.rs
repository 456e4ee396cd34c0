//! The filter box's matching rule. The page filters loaded rows with it as you type and the
//! CSV export filters with the very same code, so the file always holds the rows on screen.

use super::model::ActivityEntry;

/// Longest filter text accepted (the input's `maxlength` and the export's check).
pub const MAX_FILTER_CHARS: usize = 200;

/// Filter text split into lowercase terms; a row matches when it contains every term.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    terms: Vec<String>,
}

impl Filter {
    pub fn parse(text: &str) -> Filter {
        Filter {
            terms: text.split_whitespace().map(str::to_lowercase).collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Whether every row this filter matches is also matched by `previous` (each earlier
    /// term lives on inside a term of this one, as when typing more letters or words).
    pub fn refines(&self, previous: &Filter) -> bool {
        previous
            .terms
            .iter()
            .all(|old| self.terms.iter().any(|new| new.contains(old.as_str())))
    }

    /// `key` must come from [`search_key`], so it is already lowercase.
    pub fn matches_key(&self, key: &str) -> bool {
        self.terms.iter().all(|term| key.contains(term.as_str()))
    }

    pub fn matches(&self, entry: &ActivityEntry) -> bool {
        self.is_empty() || self.matches_key(&search_key(entry))
    }
}

/// Everything the filter searches, lowercased once: customer, action, partner user, details.
pub fn search_key(entry: &ActivityEntry) -> String {
    let mut key = String::new();
    for part in [
        entry.customer_name(),
        entry.action_text.as_str(),
        entry.action.label(),
        entry.partner_user.as_str(),
    ] {
        key.push_str(part);
        key.push('\n');
    }
    key.push_str(&entry.details.summary());
    key.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activity::model::sample_order;

    #[test]
    fn empty_filter_matches_everything() {
        assert!(Filter::parse("   ").matches(&sample_order("Adatum")));
    }

    #[test]
    fn matching_ignores_case_in_every_column() {
        let entry = sample_order("Adatum Corporation");
        for text in [
            "ADATUM",
            "ordered",
            "SALES.AGENT",
            "microsoft 365 e3",
            "POWER BI",
            "ORD-9",
        ] {
            assert!(Filter::parse(text).matches(&entry), "{text} should match");
        }
        assert!(!Filter::parse("woodgrove").matches(&entry));
    }

    #[test]
    fn every_term_must_match() {
        let entry = sample_order("Adatum Corporation");
        assert!(Filter::parse("adatum e3").matches(&entry));
        assert!(!Filter::parse("adatum cancelled").matches(&entry));
    }

    #[test]
    fn korean_names_match_by_any_part() {
        let entry = sample_order("주식회사 한빛소프트");
        assert!(Filter::parse("한빛").matches(&entry));
        assert!(Filter::parse("주식회사 소프트").matches(&entry));
        assert!(!Filter::parse("서울").matches(&entry));
    }

    #[test]
    fn a_longer_filter_refines_a_shorter_one() {
        let refines = |new: &str, old: &str| Filter::parse(new).refines(&Filter::parse(old));
        assert!(refines("ada", "ad"));
        assert!(refines("adatum li", "adatum"));
        assert!(refines("ORDERED 한빛", "한빛"));
        assert!(refines("anything", ""));
        assert!(!refines("ad", "ada"));
        assert!(!refines("", "ada"));
        assert!(!refines("adatum", "adatum li"));
        assert!(!refines("bd", "ad"));
    }
}
