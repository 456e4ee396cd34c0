//! The wasm entry point: hydrates the server-rendered page so the date inputs, expanding
//! rows and filtering run in the browser.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    app::use_full_page_redirects();
    leptos::mount::hydrate_body(app::App);
    app::mark_hydrated();
}
