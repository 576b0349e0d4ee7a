//! Integration tests: the real app on port 0, a wiremock Telnyx, and a
//! cookie-keeping client that uses the pages' forms. One binary, many modules.

mod abuse;
mod browser;
mod cli;
mod events;
mod flow;
mod generated;
mod guessing;
mod helpers;
mod limits;
mod logs;
mod oidc;
mod operations;
mod pages;
mod phone_numbers;
mod receipts;
mod redis;
mod sdk;
mod security;
mod telnyx;
mod verify_api;
