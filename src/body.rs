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

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use http_body_util::{BodyExt, LengthLimitError};

use crate::routes::MAX_BODY_BYTES;
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
        let mut read = pin!(read_whole(request.into_body()));
        // A body usually comes with its headers: read at once, it needs no
        // timer (arming and cancelling one was 500 instructions a request).
        let at_once = poll_fn(|cx| Poll::Ready(read.as_mut().poll(cx))).await;
        let read = match at_once {
            Poll::Ready(read) => read,
            Poll::Pending => tokio::time::timeout(app.client_timeout, read)
                .await
                .unwrap_or(Err(BodyProblem::TooSlow)),
        };
        Ok(WholeBody(read))
    }
}

/// `body`'s bytes. A body that comes as one piece (a form, a JSON
/// request) is that piece, not copied; one in several is gathered.
///
/// The connection's `Limited` refuses a body over `MAX_BODY_BYTES` before
/// it is read; the count here holds the same limit for a body that came
/// another way (a router served without `startup::serve_connection`).
async fn read_whole(mut body: Body) -> Result<Bytes, BodyProblem> {
    let mut first: Option<Bytes> = None;
    let mut gathered: Option<Vec<u8>> = None;
    let mut read = 0usize;
    while let Some(frame) = body.frame().await {
        // Trailers are not part of the body.
        let Ok(data) = frame.map_err(problem)?.into_data() else {
            continue;
        };
        read = read.saturating_add(data.len());
        if read > MAX_BODY_BYTES {
            return Err(BodyProblem::TooLarge);
        }
        match (&mut gathered, first.take()) {
            (Some(gathered), _) => gathered.extend_from_slice(&data),
            (None, Some(before)) => {
                let mut both = Vec::with_capacity(before.len() + data.len());
                both.extend_from_slice(&before);
                both.extend_from_slice(&data);
                gathered = Some(both);
            }
            (None, None) => first = Some(data),
        }
    }
    Ok(match gathered {
        Some(gathered) => Bytes::from(gathered),
        None => first.unwrap_or_default(),
    })
}

/// Why reading a body failed: over the connection's limit, or anything else.
fn problem(error: axum::Error) -> BodyProblem {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
    while let Some(error) = source {
        if error.is::<LengthLimitError>() {
            return BodyProblem::TooLarge;
        }
        source = error.source();
    }
    BodyProblem::Unreadable
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;
    use std::pin::Pin;
    use std::task::Context;

    use http_body_util::Limited;
    use hyper::body::Frame;

    /// A body that comes in `pieces`.
    struct Pieces(VecDeque<&'static str>);

    impl hyper::body::Body for Pieces {
        type Data = Bytes;
        type Error = Infallible;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
            let piece = self.0.pop_front();
            Poll::Ready(piece.map(|piece| Ok(Frame::data(Bytes::from_static(piece.as_bytes())))))
        }
    }

    fn body(pieces: &[&'static str], limit: usize) -> Body {
        Body::new(Limited::new(
            Pieces(pieces.iter().copied().collect()),
            limit,
        ))
    }

    #[tokio::test]
    async fn a_body_in_one_piece_or_several_is_read_whole() {
        assert_eq!(read_whole(body(&[], 16)).await, Ok(Bytes::new()));
        assert_eq!(
            read_whole(body(&["csrf=a&token=1"], 16)).await,
            Ok(Bytes::from("csrf=a&token=1"))
        );
        assert_eq!(
            read_whole(body(&["csrf=", "a&to", "ken=1"], 16)).await,
            Ok(Bytes::from("csrf=a&token=1"))
        );
    }

    #[tokio::test]
    async fn a_body_past_the_limit_is_too_large_without_the_connections_limit_too() {
        let piece: &'static str = "x".repeat(MAX_BODY_BYTES / 2).leak();
        let unlimited =
            |pieces: &[&'static str]| Body::new(Pieces(pieces.iter().copied().collect()));
        assert!(read_whole(unlimited(&[piece, piece])).await.is_ok());
        assert_eq!(
            read_whole(unlimited(&[piece, piece, "x"])).await,
            Err(BodyProblem::TooLarge)
        );
    }

    #[tokio::test]
    async fn a_body_over_the_limit_is_too_large_however_it_comes() {
        assert_eq!(
            read_whole(body(&["0123456789abcdefg"], 16)).await,
            Err(BodyProblem::TooLarge)
        );
        assert_eq!(
            read_whole(body(&["01234567", "89abcdefg"], 16)).await,
            Err(BodyProblem::TooLarge)
        );
    }
}
