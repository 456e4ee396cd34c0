//! Account settings → Sign-in: a Global admin sets up the partner's own OpenID provider.

use leptos::prelude::*;
use leptos_router::{LazyRoute, lazy_route};

use super::api::{RemoveProvider, SaveProvider, get_provider_settings};
use crate::auth::model::{MANAGE_SIGN_IN, Role};
use crate::auth::sso::model::ProviderSettings;
use crate::i18n::{Locale, use_locale};
use crate::layout::{RequireRole, SettingsBreadcrumb};

/// Account settings → Sign-in, a lazy route (a wasm chunk of its own).
pub struct SignInSettingsRoute;

#[lazy_route]
impl LazyRoute for SignInSettingsRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <RequireRole permission=MANAGE_SIGN_IN render=|_| view! { <SignInSettings/> }.into_any()/> }
            .into_any()
    }
}

#[component]
fn SignInSettings() -> impl IntoView {
    let l = use_locale();
    let save = ServerAction::<SaveProvider>::new();
    let remove = ServerAction::<RemoveProvider>::new();
    let stored = Resource::new_serde_wb(
        move || (save.version().get(), remove.version().get()),
        |_| get_provider_settings(),
    );
    let outcome = move || {
        let saved = save.value().get().map(|result| result.map(|_| tr!(l, sso.saved)));
        let removed = remove
            .value()
            .get()
            .map(|result| result.map(|_| tr!(l, sso.removed)));
        saved.or(removed).map(|result| match result {
            Ok(done) => view! { <p class="saved" role="status">{done}</p> }.into_any(),
            Err(error) => view! { <p class="error" role="alert">{error.message_in(l)}</p> }.into_any(),
        })
    };
    view! {
        <section class="sign-in-settings" aria-labelledby="sign-in-settings-title">
            <SettingsBreadcrumb current=tr!(l, sso.title)/>
            <h1 id="sign-in-settings-title">{tr!(l, sso.title)}</h1>
            <p class="intro">{tr!(l, sso.intro)}</p>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let settings = stored.await.ok().flatten();
                    view! {
                        {settings.is_none().then(|| view! { <p>{tr!(l, sso.none_yet)}</p> })}
                        <ProviderForm save settings=settings.clone() l/>
                        {settings.is_some().then(|| view! {
                            <ActionForm action=remove attr:class="remove-provider">
                                <button type="submit">{tr!(l, sso.remove)}</button>
                            </ActionForm>
                        })}
                    }
                })}
            </Suspense>
            {outcome}
        </section>
    }
}

/// The provider's fields, filled with what is stored (never the secret).
#[component]
fn ProviderForm(
    save: ServerAction<SaveProvider>,
    settings: Option<ProviderSettings>,
    l: Locale,
) -> impl IntoView {
    let settings = settings.unwrap_or_else(|| ProviderSettings {
        issuer: String::new(),
        client_id: String::new(),
        domains: Vec::new(),
        roles: Default::default(),
        create_users: false,
        require_provider: false,
        break_glass_email: None,
        redirect_uri: String::new(),
    });
    let text = |id: &'static str, label: &'static str, value: String| {
        view! {
            <div class="field">
                <label for=format!("sso-{id}")>{label}</label>
                <input id=format!("sso-{id}") name=id type="text" value=value autocomplete="off"/>
            </div>
        }
    };
    let role_fields = Role::ALL
        .into_iter()
        .map(|role| text(role.as_str(), role.label_in(l), settings.roles.line_of(role)))
        .collect_view();
    let redirect_uri = (!settings.redirect_uri.is_empty()).then(|| {
        view! {
            <p class="redirect-uri">
                {tr!(l, sso.redirect_uri)} ": " <code data-testid="redirect-uri">{settings.redirect_uri.clone()}</code>
            </p>
        }
    });
    view! {
        <ActionForm action=save attr:class="provider-form">
            {redirect_uri}
            {text("issuer", tr!(l, sso.issuer), settings.issuer.clone())}
            {text("client_id", tr!(l, sso.client_id), settings.client_id.clone())}
            <div class="field">
                <label for="sso-client_secret">{tr!(l, sso.client_secret)}</label>
                <input id="sso-client_secret" name="client_secret" type="password" autocomplete="off"/>
                <small>{tr!(l, sso.secret_kept)}</small>
            </div>
            {text("domains", tr!(l, sso.domains), settings.domains.join(", "))}
            {text("role_claim", tr!(l, sso.role_claim), settings.roles.claim.clone())}
            <fieldset>
                <legend>{tr!(l, sso.role_values)}</legend>
                {role_fields}
            </fieldset>
            <label class="check">
                <input type="checkbox" name="create_users" value="on" checked=settings.create_users/>
                {tr!(l, sso.create_users)}
            </label>
            <label class="check">
                <input type="checkbox" name="require_provider" value="on" checked=settings.require_provider/>
                {tr!(l, sso.require_provider)}
            </label>
            {text(
                "break_glass_email",
                tr!(l, sso.break_glass_email),
                settings.break_glass_email.as_ref().map(|email| email.as_str().to_string()).unwrap_or_default(),
            )}
            <button type="submit" class="primary" disabled=move || save.pending().get()>{tr!(l, sso.save)}</button>
        </ActionForm>
    }
}
