//! Integration tests: the real app on port 0, a wiremock Telnyx, and a
//! cookie-keeping client that uses the pages' forms. One binary, many modules.

mod abuse;
// The generator of BENCHMARKS.md's tables, shared with the example that
// writes them (the example uses the parts these tests do not).
#[allow(dead_code)]
#[path = "../../examples/bench_report/report.rs"]
mod bench_report;
mod browser;
mod cli;
mod documents;
mod events;
mod flow;
mod generated;
mod guessing;
mod helpers;
mod languages;
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
