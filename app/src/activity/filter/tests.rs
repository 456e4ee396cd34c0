//! The query language's parser and matching, with tricky inputs.

use super::*;
use crate::events::{ActionDetails, sample_order};

fn term(field: Option<Field>, value: &str, negated: bool) -> Term {
    Term {
        field,
        value: value.into(),
        negated,
    }
}

#[test]
fn empty_filter_matches_everything() {
    assert!(Filter::parse("   ").matches(&sample_order("Adatum")));
    assert!(Filter::parse("").is_empty());
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
        "crm-000042",
        "주문",
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
fn the_issue_example_parses_into_its_terms() {
    let filter = Filter::parse(r#"action:ordered customer:"한빛" user:sales -action:reset"#);
    assert_eq!(
        filter.terms(),
        [
            term(Some(Field::Action), "ordered", false),
            term(Some(Field::Customer), "한빛", false),
            term(Some(Field::User), "sales", false),
            term(Some(Field::Action), "reset", true),
        ]
    );
    assert!(filter.hints().is_empty());
    assert!(filter.matches(&sample_order("주식회사 한빛소프트")));
    assert!(!filter.matches(&sample_order("Adatum")));
}

#[test]
fn keys_look_only_in_their_column() {
    let entry = sample_order("Sales Unlimited");
    // "sales" is in the customer and in the user, but no action or detail says it.
    assert!(Filter::parse("customer:sales").matches(&entry));
    assert!(Filter::parse("user:sales").matches(&entry));
    assert!(!Filter::parse("action:sales").matches(&entry));
    assert!(!Filter::parse("details:sales").matches(&entry));
    assert!(Filter::parse("details:\"power bi\"").matches(&entry));
    // Keys are case-insensitive, values too; the stored action name and Korean label work.
    assert!(Filter::parse("ACTION:Ordered_Subscriptions").matches(&entry));
    assert!(Filter::parse("action:구독").matches(&entry));
    // A sender's own words for the action are searched too.
    let mut phoned = entry.clone();
    phoned.action_text = "Placed an order by phone".into();
    assert!(Filter::parse("action:phone").matches(&phoned));
    assert!(Filter::parse("action:ordered").matches(&phoned));
}

#[test]
fn negation_excludes() {
    let entry = sample_order("Adatum");
    assert!(!Filter::parse("-adatum").matches(&entry));
    assert!(Filter::parse("-woodgrove").matches(&entry));
    assert!(!Filter::parse("-action:ordered").matches(&entry));
    assert!(Filter::parse("-customer:sales").matches(&entry));
    assert!(!Filter::parse(r#"-"power bi""#).matches(&entry));
}

#[test]
fn tricky_inputs_do_not_trip_the_parser() {
    // A lone dash is text; a dash inside a word is text.
    assert_eq!(Filter::parse("-").terms(), [term(None, "-", false)]);
    assert_eq!(Filter::parse("ord-9").terms(), [term(None, "ord-9", false)]);
    // Quoted free text keeps its spaces, and quotes may sit right after the key.
    assert_eq!(
        Filter::parse(r#""power bi""#).terms(),
        [term(None, "power bi", false)]
    );
    // Unclosed quote: the rest is one value, with a hint.
    let unclosed = Filter::parse(r#"customer:"한빛 소프"#);
    assert_eq!(
        unclosed.terms(),
        [term(Some(Field::Customer), "한빛 소프", false)]
    );
    assert_eq!(unclosed.hints(), [Hint::UnclosedQuote]);
    // An unknown key is searched as text and hinted.
    let unknown = Filter::parse("colour:red");
    assert_eq!(unknown.terms(), [term(None, "colour:red", false)]);
    assert_eq!(unknown.hints(), [Hint::UnknownKey("colour".into())]);
    // A key with no value is dropped with a hint, also when quoted empty.
    let empty = Filter::parse(r#"action: customer:"" adatum"#);
    assert_eq!(empty.terms(), [term(None, "adatum", false)]);
    assert_eq!(
        empty.hints(),
        [
            Hint::EmptyValue("action".into()),
            Hint::EmptyValue("customer".into())
        ]
    );
    // URLs and times are text, colons and all.
    assert_eq!(Filter::parse("12:30").terms(), [term(None, "12:30", false)]);
    assert_eq!(
        Filter::parse("https://x.example").terms(),
        [term(None, "https://x.example", false)]
    );
    // A colon with nothing before it is text; several spaces and tabs separate terms.
    assert_eq!(Filter::parse(":x").terms(), [term(None, ":x", false)]);
    assert_eq!(Filter::parse(" a \t b ").terms().len(), 2);
    // Double negation is a negated value starting with a dash.
    assert_eq!(Filter::parse("--x").terms(), [term(None, "-x", true)]);
    // Every message names the keys or the key.
    let hint = Hint::UnknownKey("colour".into()).message_in(crate::i18n::Locale::En);
    assert!(hint.contains("colour:") && hint.contains("customer:, action:, user:, details:"));
}

#[test]
fn or_joins_the_terms_beside_it() {
    let order = sample_order("Adatum");
    let mut reset = order.clone();
    reset.action = ActionKind::ResetUserPassword;
    reset.action_text = "Reset user password".into();
    reset.details = ActionDetails::PasswordReset {
        user_principal_name: "kim@adatum.example".into(),
    };
    let either = Filter::parse("action:ordered OR action:reset customer:adatum");
    let clauses: Vec<&[Term]> = either.clauses().collect();
    assert_eq!(
        clauses,
        [
            &[
                term(Some(Field::Action), "ordered", false),
                term(Some(Field::Action), "reset", false)
            ][..],
            &[term(Some(Field::Customer), "adatum", false)][..],
        ]
    );
    assert!(either.matches(&order) && either.matches(&reset));
    // The AND around the OR still holds.
    assert!(!Filter::parse("action:ordered OR action:reset customer:woodgrove").matches(&order));
    // Negated terms may be joined too: not ordered, or at Woodgrove.
    assert!(!Filter::parse("-action:ordered OR woodgrove").matches(&order));
    assert!(Filter::parse("-action:ordered OR woodgrove").matches(&reset));
    // Only a bare, upper-case OR joins; "or", "ORDERED", a quoted "OR" are words.
    assert_eq!(Filter::parse("a or b").clauses().count(), 3);
    assert_eq!(Filter::parse(r#"a "OR" b"#).clauses().count(), 3);
    assert_eq!(Filter::parse("ORDERED").terms(), [term(None, "ordered", false)]);
    // An OR with nothing on one side is ignored, with a hint; doubled, it counts once.
    for lone in ["OR a", "a OR", "OR", "a OR OR b"] {
        assert_eq!(Filter::parse(lone).hints(), [Hint::LoneOr], "{lone}");
    }
    assert_eq!(Filter::parse("a OR OR b").clauses().count(), 1);
    assert_eq!(Filter::parse("a OR").clauses().count(), 1);
}

/// Rows unlike each other in every column the filter reads.
fn varied_entries() -> Vec<ActivityEntry> {
    let mut entries = Vec::new();
    for (n, customer) in [
        "Adatum Corporation",
        "주식회사 한빛소프트",
        "Litware, Inc.",
        "adatum li",
    ]
    .iter()
    .enumerate()
    {
        let mut order = sample_order(customer);
        order.event_id = format!("crm-{n}");
        entries.push(order);
        let mut reset = sample_order(customer);
        reset.customer = (n % 2 == 0).then(|| reset.customer.clone()).flatten();
        reset.action = ActionKind::ResetUserPassword;
        reset.action_text = if n == 1 {
            "Reset by phone".into()
        } else {
            ActionKind::ResetUserPassword.label().into()
        };
        reset.partner_user = format!("helpdesk{n}@contoso.example");
        reset.details = ActionDetails::PasswordReset {
            user_principal_name: format!("megan{n}@adatum.example"),
        };
        entries.push(reset);
    }
    entries
}

#[test]
fn the_page_index_matches_exactly_the_rows_the_export_matches() {
    // 600 rows: more than one block of pair bits (512 rows), and not a multiple of 64.
    let entries: Vec<ActivityEntry> = varied_entries().into_iter().cycle().take(600).collect();
    assert_index_matches_rows(&entries);
}

#[test]
fn rows_in_long_runs_of_one_kind_match_exactly_too() {
    // Each entry 70 times in a row: a later clause's scope leaves whole 64-row words out,
    // which the search skips.
    let entries: Vec<ActivityEntry> = varied_entries()
        .into_iter()
        .flat_map(|entry| std::iter::repeat_n(entry, 70))
        .collect();
    assert_index_matches_rows(&entries);
}

/// Every filter of a long list, searched in the page's index of `entries` in an order that
/// keeps, lengthens, shortens and drops terms, finds exactly the rows `Filter::matches` does.
fn assert_index_matches_rows(entries: &[ActivityEntry]) {
    let mut index = SearchIndex::default();
    for entry in entries {
        SearchKey::of(entry).add_to(&mut index);
    }
    // The same rows added as the page adds them, their customers and users numbered by the
    // caller (one number per customer, 0 for none, and per user).
    let mut by_ids = SearchIndex::default();
    let (mut customers, mut users) = (std::collections::HashMap::new(), std::collections::HashMap::new());
    for entry in entries {
        let next = customers.len() as u32 + 1;
        let customer = entry.customer.as_ref().map_or(0, |customer| {
            *customers.entry(customer.company_name.clone()).or_insert(next)
        });
        let next = users.len() as u32;
        let user = *users.entry(entry.partner_user.clone()).or_insert(next);
        SearchKey::add_row(entry, customer, user, &mut by_ids);
    }
    let filters = [
        "",
        "a",
        "ad",
        "adatum",
        "adatum li",
        "adatum l",
        "한",
        "한빛",
        "customer:adatum",
        "user:adatum",
        "details:adatum",
        "action:reset",
        "reset",
        "-reset",
        "action:ordered OR user:helpdesk1",
        "-customer:adatum",
        "crm-2",
        "ord-9 -litware",
        "\"adatum li\"",
        "customer:\"adatum li\"",
        "megan OR 한빛 -phone",
        "phone",
        "action:phone",
        "e3 power",
        "zzz",
        "OR",
        "-a",
        ".example",
        "n\u{0}",
        "1@",
        "@contoso",
        "@contoso.example",
        "customer:adatum li",
        "user:adatum",
        "-adatum",
        "-adatum OR user:helpdesk1",
        "e",
        "e3",
        "e3 p",
        "e3 po",
        "e3 -po",
        "megan@",
        "megan@adatum",
        // Half the rows, then some of them: the longer term is looked for among the shorter's.
        "helpdesk",
        "helpdesk1",
        "user:helpdesk",
        "user:helpdesk2",
        "megan",
        "megan1 OR crm-1",
        // A few rows, then all: a shorter term is searched anew.
        "crm-1",
        "crm-",
        // A later clause is searched only among the rows the earlier ones left, and kept for
        // those: the same term after other clauses (or none) is searched again.
        "li",
        "adatum li",
        "megan li",
        "ad li",
        "ada li",
        "adat li",
        "helpdesk1 megan",
        "helpdesk megan",
        "helpdesk1 megan",
        "li adatum",
        "adatum -li",
        "adatum l",
        "megan l",
        "l",
        "adatum OR megan li",
        "adatum li OR e3",
        "e3 \"corporation\n\n\n\nhelpdesk\"",
        // Line breaks join the key's columns: a text with one spans them (the whole key is
        // searched), and in one column it must not run on into the next row's.
        "\"corporation\n\n\n\nhelpdesk\"",
        "details:\"example\ncrm-000042\"",
        "details:\"42\norder\"",
        "customer:\"corporation\n\nhelp\"",
    ];
    // In order, backwards, and each twice: the index keeps each search's terms for the next,
    // which mostly keeps or lengthens them.
    let order = filters
        .iter()
        .chain(filters.iter().rev())
        .flat_map(|text| [text, text]);
    for text in order {
        let filter = Filter::parse(text);
        let by_row: Vec<u32> = (0..entries.len() as u32)
            .filter(|row| filter.matches(&entries[*row as usize]))
            .collect();
        assert_eq!(filter.matching_rows(&mut index), by_row, "filter {text:?}");
        assert_eq!(
            filter.matching_rows(&mut by_ids),
            by_row,
            "filter {text:?}, rows added by ids"
        );
    }
}

#[test]
fn an_index_of_no_rows_matches_none_and_clears() {
    let mut index = SearchIndex::default();
    assert!(Filter::parse("a").matching_rows(&mut index).is_empty());
    assert!(Filter::parse("").matching_rows(&mut index).is_empty());
    SearchKey::of(&sample_order("Adatum")).add_to(&mut index);
    assert_eq!(Filter::parse("").matching_rows(&mut index), vec![0]);
    // What a search found is not reused once rows are added.
    assert_eq!(Filter::parse("adatum").matching_rows(&mut index), vec![0]);
    SearchKey::of(&sample_order("Adatum Two")).add_to(&mut index);
    assert_eq!(Filter::parse("adatum").matching_rows(&mut index), vec![0, 1]);
    assert_eq!(Filter::parse("adatum t").matching_rows(&mut index), vec![0, 1]);
    index.clear();
    assert!(index.is_empty());
}

#[test]
fn every_action_kind_is_found_by_its_name_in_the_index_and_by_row() {
    // One row of each kind: the kinds a term names are a bit set, which must hold them all.
    let entries: Vec<ActivityEntry> = ActionKind::ALL
        .iter()
        .map(|kind| {
            let mut entry = sample_order("Adatum Corporation");
            entry.action = *kind;
            entry.action_text = kind.label().into();
            entry
        })
        .collect();
    let mut index = SearchIndex::default();
    for entry in &entries {
        SearchKey::of(entry).add_to(&mut index);
    }
    for (row, kind) in ActionKind::ALL.iter().enumerate() {
        let filter = Filter::parse(&format!("action:{}", kind.as_str()));
        assert!(filter.matches(&entries[row]), "{kind:?}");
        assert_eq!(filter.matching_rows(&mut index), vec![row as u32], "{kind:?}");
    }
}

/// Keys are lowercased in place where they can be; the result is always `to_lowercase`'s.
#[test]
fn keys_lowercase_as_to_lowercase_does() {
    for text in [
        "Order ORD-1: Azure Plan × 3 (subscription AB-12)",
        "Quantity: 4 → 9; Period: 2026-01-01 – 2026-01-31",
        "ΟΔΟΣ ΣΑΣ",
        "İstanbul",
        "Ünïcödé ÄÖÜ straße",
        "한국 고객 株式会社",
        "",
    ] {
        let mut key = "Kept ".to_string();
        lowercase_from(&mut key, 5);
        key.push_str(text);
        lowercase_from(&mut key, 5);
        assert_eq!(key, format!("Kept {}", text.to_lowercase()), "{text}");
    }
}
