//! A request's body, read whole: within the client's time limit
//! (`server.client_timeout_secs`, counted from the first poll, for the
//! whole body), and no further than the size limit, which is the
//! connection's (`startup::serve_connection`). Each face says what a body
//! it could not read means in its own shape.

use std::convert::Infallible;
use std::future::{Future, poll_fn};
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;

use crate::state::AppState;

/// Why a body could not be read whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyProblem {
    /// Over the size limit.
    TooLarge,
    /// Not all there within the client's time limit.
    TooSlow,
    /// Cut off, or otherwise not a body.
    Unreadable,
}

impl BodyProblem {
    pub fn status(self) -> StatusCode {
        match self {
            BodyProblem::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            BodyProblem::TooSlow => StatusCode::REQUEST_TIMEOUT,
            BodyProblem::Unreadable => StatusCode::BAD_REQUEST,
        }
    }
}

/// The body, or why it could not be read; never a rejection, so that the
/// handler answers in its face's shape.
pub struct WholeBody(pub Result<Bytes, BodyProblem>);

impl FromRequest<Arc<AppState>> for WholeBody {
    type Rejection = Infallible;

    async fn from_request(request: Request, app: &Arc<AppState>) -> Result<Self, Infallible> {
        let mut read = pin!(Bytes::from_request(request, app));
        // A body usually comes with its headers: read at once, it needs no
        // timer (arming and cancelling one was 500 instructions a request).
        let at_once = poll_fn(|cx| Poll::Ready(read.as_mut().poll(cx))).await;
        let read = match at_once {
            Poll::Ready(read) => Ok(read),
            Poll::Pending => tokio::time::timeout(app.client_timeout, read).await,
        };
        Ok(WholeBody(match read {
            Err(_) => Err(BodyProblem::TooSlow),
            Ok(Ok(bytes)) => Ok(bytes),
            Ok(Err(BytesRejection::FailedToBufferBody(failed)))
                if failed.status() == StatusCode::PAYLOAD_TOO_LARGE =>
            {
                Err(BodyProblem::TooLarge)
            }
            Ok(Err(_)) => Err(BodyProblem::Unreadable),
        }))
    }
}
