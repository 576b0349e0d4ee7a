//! The HTTP surface: the tutorial's three routes, the stylesheet, and pages
//! for everything else.

mod assets;
mod phone;
mod verify;

use std::sync::Arc;

use axum::Router;
use axum::extract::FromRequest;
use axum::routing::{get, post};
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::errors::AppError;
use crate::state::AppState;

/// The cookie that ties a browser to its verification.
pub const VERIFICATION_COOKIE: &str = "twofa_verification";

/// An urlencoded form whose rejection is one of our pages, not axum's text.
#[derive(FromRequest)]
#[from_request(via(axum::Form), rejection(AppError))]
pub struct PageForm<T>(pub T);

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(phone::show_form))
        .route("/request", post(phone::request_code))
        .route("/verify", post(verify::check_code))
        .route("/static/style.css", get(assets::stylesheet))
        .fallback(|| async { AppError::NotFound })
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed })
        .layer(
            // Spans carry method and path only: no headers, so no cookies.
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .with_state(state)
}
