//! Our layers: an async function run around the service behind it, as
//! axum's `middleware::from_fn` runs one, but without boxing that service
//! again for every request (`from_fn` boxes it into its `Next` on top of
//! the future; here only the future is boxed, once).

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::response::Response;
use tower::{Layer, Service};

/// What a layer does around the service behind it.
pub trait Around: Clone + Send + Sync + 'static {
    /// Answers `request`, asking `inner` (ready to be called) at most once.
    fn around<S: Behind>(
        self,
        request: Request,
        inner: Inner<S>,
    ) -> impl Future<Output = Answer> + Send + 'static;
}

/// What a layer's future gives: tower's `Result`, never an error (so the
/// future is boxed as it is, not wrapped again).
pub type Answer = Result<Response, Infallible>;

/// The service behind a layer: it answers every request.
pub trait Behind:
    Service<Request, Response = Response, Error = Infallible, Future: Send + 'static> + Send + 'static
{
}

impl<S> Behind for S where
    S: Service<Request, Response = Response, Error = Infallible, Future: Send + 'static>
        + Send
        + 'static
{
}

/// The service behind a layer, ready to answer one request.
pub struct Inner<S>(S);

impl<S: Behind> Inner<S> {
    pub async fn answer(mut self, request: Request) -> Response {
        match self.0.call(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        }
    }
}

/// `A` as a tower layer, for `Router::layer` and `ServiceBuilder`.
#[derive(Clone)]
pub struct AroundLayer<A>(pub A);

impl<A: Around, S> Layer<S> for AroundLayer<A> {
    type Service = Wrapped<A, S>;

    fn layer(&self, inner: S) -> Wrapped<A, S> {
        Wrapped {
            around: self.0.clone(),
            inner,
        }
    }
}

/// A service with `A` around it.
#[derive(Clone)]
pub struct Wrapped<A, S> {
    around: A,
    inner: S,
}

impl<A: Around, S: Behind + Clone> Service<Request> for Wrapped<A, S> {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Answer> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        // The service made ready answers; a clone stays for the next call.
        let clone = self.inner.clone();
        let ready = std::mem::replace(&mut self.inner, clone);
        Box::pin(self.around.clone().around(request, Inner(ready)))
    }
}
