//! The language a page speaks: chosen for every page request before its
//! handler runs (which reads the session for it, once, and hands it on),
//! and changed by the switcher's links, `GET /language/{tag}`.

use std::future::Future;
use std::sync::Arc;

use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::extract::{CurrentSession, SessionRead};
use crate::around::{Answer, Around, AroundLayer, Behind, Inner};
use crate::errors::{AppError, status_page_if_needed};
use crate::i18n::{self, Language, SWITCHER_PAGES};
use crate::state::AppState;

/// The page a switcher made for this request comes back to.
fn here(method: &Method, path: &str) -> &'static str {
    match SWITCHER_PAGES.iter().find(|page| **page == path) {
        Some(page) if method == Method::GET => page,
        _ => "/verify",
    }
}

/// Around every page request: reads the session, chooses the language (the
/// `ui_locales` of the website a sign-in is for, else the one picked on the
/// page, else the browser's, else the default) and answers in it, error
/// pages included. The fingerprinted assets are the same in every language.
#[derive(Clone)]
pub struct Speak(Arc<AppState>);

impl Speak {
    pub fn layer(app: Arc<AppState>) -> AroundLayer<Self> {
        AroundLayer(Self(app))
    }
}

impl Around for Speak {
    fn around<S: Behind>(
        self,
        request: Request,
        inner: Inner<S>,
    ) -> impl Future<Output = Answer> + Send + 'static {
        speak(self.0, request, inner)
    }
}

async fn speak<S: Behind>(app: Arc<AppState>, mut request: Request, next: Inner<S>) -> Answer {
    if request.uri().path().starts_with("/static/") {
        return Ok(next.answer(request).await);
    }
    let session = app.cookies.read(request.headers());
    // A sign-in link answered with a page (a client or redirect we do not
    // know) speaks the language the link asks for, if any (never an earlier
    // sign-in's); a sign-in under way, the one its link asked for.
    let in_the_link = (request.uri().path() == "/authorize").then(|| {
        let query = request.uri().query().unwrap_or_default();
        serde_urlencoded::from_str::<Link>(query)
            .ok()
            .and_then(|link| link.ui_locales)
    });
    let asked_by_website = match &in_the_link {
        Some(in_the_link) => in_the_link.as_deref(),
        None => session
            .as_ref()
            .and_then(|s| s.authorization.as_ref()?.ui_locales.as_deref()),
    }
    .and_then(|tags| app.languages.for_ui_locales(tags));
    let chosen = asked_by_website.or(session.as_ref().and_then(|s| s.language));
    let accept = request
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    let language = app.languages.choose(chosen, accept);
    let page = app
        .languages
        .page(language, here(request.method(), request.uri().path()));
    request.extensions_mut().insert(SessionRead(session));
    // `Observe`, around every face, opened the page's scope: what is
    // answered from here on (error pages included) speaks `language`,
    // without a scope of our own (which would move the request's whole
    // future once more). Without `Observe` around it, it opens one, boxed
    // so that the common case's future does not grow by it.
    let mut response = match i18n::speak_from_here(page) {
        Ok(()) => status_page_if_needed(next.answer(request).await),
        Err(page) => {
            let answered = async move { status_page_if_needed(next.answer(request).await) };
            Box::pin(i18n::speaking(page, answered)).await
        }
    };
    response.headers_mut().insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(language.tag()),
    );
    Ok(response)
}

/// The one parameter of a sign-in link the language layer reads.
#[derive(Deserialize)]
struct Link {
    ui_locales: Option<String>,
}

#[derive(Deserialize, Default)]
struct Back {
    back: Option<String>,
}

/// `GET /language/es?back=/verify`: remembers the choice in the session
/// (during a sign-in, in place of the website's `ui_locales`) and goes back
/// to the page it was made on (one of ours, never elsewhere).
pub async fn switch(
    State(app): State<Arc<AppState>>,
    CurrentSession(mut session): CurrentSession,
    Path(tag): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let language = Language::from_tag(&tag)
        .filter(|l| app.languages.offers(*l))
        .ok_or(AppError::NotFound)?;
    let back: Back =
        serde_urlencoded::from_str(query.as_deref().unwrap_or_default()).unwrap_or_default();
    let back = back
        .back
        .and_then(|b| SWITCHER_PAGES.into_iter().find(|page| *page == b))
        .unwrap_or("/");
    session.language = Some(language);
    if let Some(sign_in) = session.authorization.as_mut() {
        sign_in.ui_locales = None;
    }
    Ok((app.cookies.write(&session), Redirect::to(back)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_switcher_comes_back_to_a_page_a_get_shows_and_else_to_the_flow() {
        assert_eq!(here(&Method::GET, "/verify"), "/verify");
        assert_eq!(here(&Method::GET, "/sign-in"), "/sign-in");
        assert_eq!(here(&Method::POST, "/request"), "/verify");
        assert_eq!(here(&Method::GET, "/nothing-here"), "/verify");
        assert_eq!(here(&Method::GET, "/authorize"), "/verify");
    }
}
