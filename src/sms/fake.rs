//! An SMS sender for the `Verifier`'s tests: it records each text, answers
//! as the test scripted (sent, or an error), and can run a hook as it sends,
//! e.g. to make the store fail between steps.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use super::SmsError;
use crate::phone::PhoneNumber;
use crate::verification::{MessageId, SendRef};

type Hook = Arc<dyn Fn() + Send + Sync>;

#[derive(Clone, Default)]
pub struct FakeSms {
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    sent: Vec<(PhoneNumber, String)>,
    /// The send each text was for, as its receipts would name it.
    sends: Vec<SendRef>,
    /// Answers for the next sends, in order; when empty, each is sent.
    answers: VecDeque<Result<Option<MessageId>, SmsError>>,
    on_send: Option<Hook>,
}

impl std::fmt::Debug for FakeSms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FakeSms")
    }
}

impl FakeSms {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The next send answers `answer`.
    pub fn answer_next(&self, answer: Result<(), SmsError>) {
        self.state().answers.push_back(answer.map(|()| None));
    }

    /// Runs `hook` whenever a text is sent (or fails to be).
    pub fn on_send(&self, hook: impl Fn() + Send + Sync + 'static) {
        self.state().on_send = Some(Arc::new(hook));
    }

    /// Every text asked for, oldest first, whatever the answer.
    pub fn texts(&self) -> Vec<(PhoneNumber, String)> {
        self.state().sent.clone()
    }

    /// The send each text was for, oldest first.
    pub fn sends(&self) -> Vec<SendRef> {
        self.state().sends.clone()
    }

    pub(super) async fn send(
        &self,
        to: &PhoneNumber,
        text: &str,
        send: &SendRef,
    ) -> Result<Option<MessageId>, SmsError> {
        let (answer, hook) = {
            let mut state = self.state();
            state.sent.push((*to, text.to_owned()));
            state.sends.push(send.clone());
            (
                state.answers.pop_front().unwrap_or(Ok(None)),
                state.on_send.clone(),
            )
        };
        if let Some(hook) = hook {
            hook();
        }
        answer
    }
}
