//! Turns the UI text in `locales/*.json` into Rust (`$OUT_DIR/i18n/mod.rs`, included by
//! `src/i18n.rs`). Any problem in the files, a key missing from one language included, stops
//! the build with the file's own message, so no language can ship with a hole in it.

use leptos_i18n_parser::parse_locales::{options::Config, parse_locales};
use std::path::PathBuf;

/// English first: it is the fallback the generated code is built around.
const LANGUAGES: [&str; 3] = ["en", "ko", "ja"];

fn main() {
    let mut config = Config::new(LANGUAGES[0])
        .and_then(|config| config.add_locales(&LANGUAGES[1..]))
        .expect("the language tags are valid");
    // Values given to `{{ name }}` are anything that implements Display (numbers, Strings).
    config.options.interpolate_display = true;

    let parsed = parse_locales(None, config).unwrap_or_else(|error| panic!("locales/: {error}"));
    {
        let (errors, warnings) = parsed.diag.borrow();
        let problems: Vec<String> = errors
            .iter()
            .map(ToString::to_string)
            .chain(warnings.iter().map(ToString::to_string))
            .collect();
        assert!(problems.is_empty(), "locales/: {}", problems.join("; "));
    }
    for file in parsed.tracked_files.iter().flatten() {
        println!("cargo::rerun-if-changed={file}");
    }
    println!("cargo::rerun-if-changed=locales");

    let code = leptos_i18n_codegen::gen_code(&parsed, None, false, None, false)
        .unwrap_or_else(|error| panic!("locales/: {error}"));
    let dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("i18n");
    std::fs::create_dir_all(&dir).expect("OUT_DIR is writable");
    std::fs::write(dir.join("mod.rs"), code.to_string()).expect("OUT_DIR is writable");
}
