//! The time a connection gives its client to send each request's headers
//! (`server.client_timeout_secs`), kept by one tokio timer per connection.
//!
//! hyper asks its timer for a new sleep each time it starts reading a
//! request's headers, and drops it once they are read. With hyper-util's
//! `TokioTimer` that is a timer put into tokio's timer wheel and taken out
//! again for every request on a keep-alive connection, each a lock on the
//! wheel, on the clock and an allocation: about 2% of the app's CPU under
//! a flood of wrong codes (BENCHMARKS.md, the sixteenth set). Here each
//! connection keeps one tokio `Sleep`, set for a deadline no later than
//! the one hyper waits for; hyper's sleeps only say which deadline that
//! is. A later request's deadline leaves the wheel alone; when the
//! connection's sleep fires before the deadline hyper waits for, it is
//! set again, once. So a keep-alive connection costs the wheel about one
//! operation per timeout, not two per request, and every deadline hyper
//! asks for is kept exactly.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hyper::rt::{Sleep, Timer};

/// Later than any deadline hyper asks for.
const UNSET: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// One connection's timer, for `http1::Builder::timer`: made for each
/// connection, never shared between two. The connection's sleep wakes
/// whichever task polled it last; hyper polls it only from the
/// connection's task, one request's sleep at a time, but sleeps of two
/// connections on one timer could leave one of them never woken (so it is
/// not `Clone`, and `serve_connection` makes a builder per connection).
pub struct HeaderTimer(Arc<Mutex<Pin<Box<tokio::time::Sleep>>>>);

impl HeaderTimer {
    /// A timer for a new connection, made inside the runtime. Nothing goes
    /// into the wheel until a sleep is polled, which sets its own deadline
    /// (earlier than `UNSET`).
    pub fn new() -> Self {
        let unset = tokio::time::sleep(UNSET);
        Self(Arc::new(Mutex::new(Box::pin(unset))))
    }
}

impl Timer for HeaderTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Sleep>> {
        self.sleep_until(self.now() + duration)
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn Sleep>> {
        Box::pin(Until {
            deadline: deadline.into(),
            connection: self.0.clone(),
        })
    }

    /// tokio's clock, which tests can pause and move.
    fn now(&self) -> Instant {
        tokio::time::Instant::now().into()
    }
}

/// What hyper waits on: its deadline, and the connection's sleep.
struct Until {
    deadline: tokio::time::Instant,
    connection: Arc<Mutex<Pin<Box<tokio::time::Sleep>>>>,
}

impl Future for Until {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let deadline = self.deadline;
        // Only this connection's task locks it, so the lock is never
        // contended; and a poisoned sleep is still a sleep.
        let mut sleep = self
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Set for later than this deadline: it would wake us too late.
        if sleep.deadline() > deadline {
            sleep.as_mut().reset(deadline);
        }
        loop {
            match sleep.as_mut().poll(cx) {
                Poll::Pending => return Poll::Pending,
                // It fired at this deadline (it is never later).
                Poll::Ready(()) if sleep.deadline() == deadline => return Poll::Ready(()),
                // It fired at an earlier request's deadline: now it waits
                // for this one.
                Poll::Ready(()) => sleep.as_mut().reset(deadline),
            }
        }
    }
}

impl Sleep for Until {}

#[cfg(test)]
mod tests {
    use std::future::poll_fn;

    use super::*;

    const TIMEOUT: Duration = Duration::from_secs(10);

    /// Whether `sleep` has finished, without waiting for it.
    async fn done(sleep: &mut Pin<Box<dyn Sleep>>) -> bool {
        poll_fn(|cx| Poll::Ready(sleep.as_mut().poll(cx).is_ready())).await
    }

    #[tokio::test(start_paused = true)]
    async fn a_sleep_ends_at_its_deadline_and_not_before() {
        let timer = HeaderTimer::new();
        let mut sleep = timer.sleep(TIMEOUT);
        assert!(!done(&mut sleep).await);
        tokio::time::advance(TIMEOUT - Duration::from_millis(1)).await;
        assert!(!done(&mut sleep).await);
        tokio::time::advance(Duration::from_millis(1)).await;
        assert!(done(&mut sleep).await);
    }

    #[tokio::test(start_paused = true)]
    async fn a_later_requests_sleep_outlives_the_deadline_an_earlier_request_set() {
        let timer = HeaderTimer::new();
        let mut first = timer.sleep(TIMEOUT);
        assert!(!done(&mut first).await);
        drop(first); // its headers came
        tokio::time::advance(TIMEOUT / 2).await;
        let mut second = timer.sleep(TIMEOUT);
        assert!(!done(&mut second).await);
        // The first request's deadline passes: the connection's sleep fires
        // for it, and the second request's must not end with it.
        tokio::time::advance(TIMEOUT / 2).await;
        assert!(!done(&mut second).await);
        tokio::time::advance(TIMEOUT / 2 - Duration::from_millis(1)).await;
        assert!(!done(&mut second).await);
        tokio::time::advance(Duration::from_millis(1)).await;
        assert!(done(&mut second).await);
    }

    #[tokio::test(start_paused = true)]
    async fn a_sleep_with_an_earlier_deadline_than_the_one_set_ends_at_its_own() {
        let timer = HeaderTimer::new();
        let mut long = timer.sleep(TIMEOUT);
        assert!(!done(&mut long).await);
        drop(long);
        let mut short = timer.sleep(TIMEOUT / 4);
        assert!(!done(&mut short).await);
        tokio::time::advance(TIMEOUT / 4).await;
        assert!(done(&mut short).await);
    }

    #[tokio::test(start_paused = true)]
    async fn a_task_waiting_on_a_later_requests_sleep_is_woken_at_its_deadline() {
        let timer = HeaderTimer::new();
        let mut first = timer.sleep(TIMEOUT);
        assert!(!done(&mut first).await);
        drop(first);
        tokio::time::advance(TIMEOUT / 2).await;
        let second = timer.sleep(TIMEOUT);
        let started = tokio::time::Instant::now();
        // Awaited in a task of its own, as hyper's connection awaits it:
        // the clock runs on by itself, and the task must be woken again
        // after the first request's deadline wakes it for nothing.
        let waited = tokio::spawn(async move {
            second.await;
            started.elapsed()
        });
        assert_eq!(waited.await.expect("the task ends"), TIMEOUT);
    }

    #[tokio::test(start_paused = true)]
    async fn a_task_waiting_on_a_first_sleep_is_woken_at_its_deadline() {
        let timer = HeaderTimer::new();
        let sleep = timer.sleep(TIMEOUT);
        let started = tokio::time::Instant::now();
        let waited = tokio::spawn(async move {
            sleep.await;
            started.elapsed()
        });
        assert_eq!(waited.await.expect("the task ends"), TIMEOUT);
    }
}
