//! The wasm entry point: hydrates the server-rendered page so the date inputs, expanding
//! rows and filtering run in the browser.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    app::use_full_page_redirects();
    // Hydrated asynchronously: a lazy route's page may first have to fetch its own chunk.
    wasm_bindgen_futures::spawn_local(async {
        let body = leptos::prelude::document().body().expect("the page has a <body>");
        leptos::mount::hydrate_from_async(body, app::App).await.forget();
        app::mark_hydrated();
    });
}
