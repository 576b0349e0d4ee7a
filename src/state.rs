//! What every page handler shares: the flow's core and the face's own
//! typed settings. Handlers read no raw settings.

use std::sync::Arc;
use std::time::Duration;

use crate::api::Api;
use crate::i18n::Languages;
use crate::oidc::Provider;
use crate::pages::PageKit;
use crate::session::SessionCookies;
use crate::settings::ForwardedFor;
use crate::verifier::Verifier;
use crate::webhooks::events::Outbox;
use crate::webhooks::receipts::TelnyxReceipts;

#[derive(Debug)]
pub struct AppState {
    pub verifier: Verifier,
    pub cookies: SessionCookies,
    /// The host the SMS's origin-bound line (`@host #code`) names:
    /// `server.public_url`'s, never a request's `Host`.
    pub webotp_host: Option<String>,
    /// Whose `X-Forwarded-For` is believed.
    pub forwarded_for: ForwardedFor,
    /// Served over https: browsers are told to come back only over https.
    pub hsts: bool,
    /// Time a client gets to send its body.
    pub client_timeout: Duration,
    /// `server.public_url`'s origin, trusted by the cross-site check.
    pub public_origin: Option<String>,
    /// The OpenID Connect provider, when clients are registered.
    pub oidc: Option<Provider>,
    /// The Verify API, when keys are configured.
    pub api: Option<Api>,
    /// The key Telnyx signs receipts with and the links that name their
    /// sends, when receipts are on.
    pub receipts: Option<TelnyxReceipts>,
    /// Where events for profiles' `webhook_url`s are queued.
    pub events: Outbox,
    /// The service's name and help link, for every page, and the pages
    /// rendered ahead.
    pub page_kit: Arc<PageKit>,
    /// The languages the pages offer, and the one they default to.
    pub languages: Arc<Languages>,
}
