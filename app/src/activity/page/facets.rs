//! Facet counts per action, partner user and customer of the rows shown, counted into
//! arrays, and the buttons that add a value to the filter.

use std::sync::Arc;

use leptos::prelude::*;

use crate::events::EventTexts;
use crate::i18n::{Locale, use_locale};

use super::rows::{LoadedRow, RowFacts};

/// The most-counted values of one facet, most first (ties by name), and how many there were.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Facet {
    pub(super) top: Vec<(String, String, u32)>,
    pub(super) distinct: usize,
}

/// How many of the shown rows have each action, user and customer.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Facets {
    pub(super) actions: Facet,
    pub(super) users: Facet,
    pub(super) customers: Facet,
}

/// Values shown per facet.
pub(super) const FACET_TOP: usize = 6;

/// `key:value`, quoted when the value has spaces (a `"` inside can't be quoted, so the
/// term keeps the part before it, which still finds the value).
pub(super) fn query_term(key: &str, value: &str) -> String {
    let value = value.split('"').next().unwrap_or("").trim();
    if value.contains(char::is_whitespace) {
        format!("{key}:\"{value}\"")
    } else {
        format!("{key}:{value}")
    }
}

/// Per slot (action kind, user or customer number): how many shown rows, and one of them.
#[derive(Default, PartialEq)]
struct Tally(Vec<(u32, u32)>);

impl Tally {
    fn add(&mut self, slot: usize, row: u32) {
        if slot >= self.0.len() {
            self.0.resize(slot + 1, (0, 0));
        }
        let (count, example) = &mut self.0[slot];
        *count += 1;
        *example = row;
    }

    /// The most counted, most first (ties by label), labelled from a row that has them.
    fn top(&self, label_and_term: impl Fn(u32) -> (String, String)) -> Facet {
        let mut all: Vec<(String, String, u32)> = self
            .0
            .iter()
            .filter(|(count, _)| *count > 0)
            .map(|(count, example)| {
                let (label, term) = label_and_term(*example);
                (label, term, *count)
            })
            .collect();
        let distinct = all.len();
        all.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
        all.truncate(FACET_TOP);
        Facet { top: all, distinct }
    }
}

/// How many shown rows have each action kind, user and customer, counted row by row from
/// their facts (the chart's loop counts them in the same pass over the matches).
#[derive(Default, PartialEq)]
pub(super) struct Tallies {
    actions: Tally,
    users: Tally,
    customers: Tally,
}

impl Tallies {
    pub(super) fn add(&mut self, index: u32, row: &RowFacts) {
        self.actions.add(row.kind as usize, index);
        self.users.add(row.user as usize, index);
        if let Some(customer) = row.customer {
            self.customers.add(customer as usize, index);
        }
    }

    /// The facets, their values named from `rows`.
    pub(super) fn named(&self, rows: &[Arc<LoadedRow>], locale: Locale) -> Facets {
        let row = |index: u32| &rows[index as usize];
        Facets {
            actions: self.actions.top(|index| {
                let kind = row(index).action;
                (
                    kind.label_in(locale).to_string(),
                    query_term("action", kind.as_str()),
                )
            }),
            users: self.users.top(|index| {
                let user = row(index).partner_user();
                (user.to_string(), query_term("user", user))
            }),
            customers: self.customers.top(|index| {
                let name = row(index).customer_name();
                (name.to_string(), query_term("customer", name))
            }),
        }
    }
}

/// Counts per action, partner user and customer of the rows shown; a click adds the value
/// to the filter.
#[component]
pub(super) fn FacetCounts(
    facets: Memo<Facets>,
    on_pick: impl Fn(String) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let l = use_locale();
    let group = move |key: &'static str, title: &'static str, pick: fn(&Facets) -> &Facet| {
        // Keyed by rank: while typing, the buttons stay and only the values whose rank changed
        // are rewritten (made anew per value, two came and went on most keystrokes).
        let ranks = move || facets.with(|facets| 0..pick(facets).top.len());
        let button = move |rank: usize| {
            let value = Memo::new(move |_| facets.with(|facets| pick(facets).top.get(rank).cloned()));
            let read = move |part: fn(&(String, String, u32), Locale) -> String| {
                move || value.with(|value| value.as_ref().map(|value| part(value, l)).unwrap_or_default())
            };
            let pick_it = move |_| {
                if let Some((_, term, _)) = value.get_untracked() {
                    on_pick(term);
                }
            };
            view! {
                <li>
                    <button type="button" class="facet-value" data-term=read(|value, _| value.1.clone()) on:click=pick_it>
                        <span class="facet-label">{read(|value, _| value.0.clone())}</span>
                        <span class="facet-count">{read(|value, l| l.number(value.2.into()))}</span>
                    </button>
                </li>
            }
        };
        // Made once and hidden when there are no more: remade, it would be two changes to the
        // list per keystroke.
        let more = Memo::new(move |_| {
            facets.with(|facets| {
                let facet = pick(facets);
                facet.distinct.saturating_sub(facet.top.len())
            })
        });
        let more_text = move || tr!(l, facets.and_more, count = l.number(more.get() as u64));
        view! {
            <section class="facet" data-facet=key aria-label=title>
                <h2>{title}</h2>
                <ul role="list">
                    <For each=ranks key=|rank| *rank children=button/>
                    <li class="facet-more" hidden=move || more.get() == 0>{more_text}</li>
                </ul>
            </section>
        }
    };
    view! {
        <div class="facets">
            {group("action", tr!(l, facets.actions), |facets| &facets.actions)}
            {group("user", tr!(l, facets.partner_users), |facets| &facets.users)}
            {group("customer", tr!(l, facets.customers), |facets| &facets.customers)}
        </div>
    }
}
