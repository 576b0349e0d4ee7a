//! telnyx-2fa: verify a phone number with a one-time code sent by SMS.
//!
//! The flow is Telnyx's two-factor tutorial (`GET /`, `POST /request`,
//! `POST /verify`); each code belongs to one browser and one number, expires,
//! and allows a few tries.

pub mod assets;
pub mod clock;
pub mod errors;
pub mod limits;
pub mod otp;
pub mod pages;
pub mod phone;
pub mod routes;
pub mod session;
pub mod settings;
pub mod shared_store;
pub mod sms;
pub mod startup;
pub mod state;
pub mod verification;
