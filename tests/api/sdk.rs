//! A program written for Telnyx's hosted Verify, with Telnyx's official
//! Python SDK (tests/sdk/hosted_verify_program.py), runs against this
//! server unchanged but for the base URL and the key.
//!
//! It needs the SDK in tests/sdk/.venv (`.ci/run` makes it:
//! `python3 -m venv tests/sdk/.venv && tests/sdk/.venv/bin/pip install -r
//! tests/sdk/requirements.txt`). Without it the test says it was skipped;
//! under CI (`CI=true`) that is a failure.

use std::io::Write;
use std::path::Path;
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::helpers::PHONE_E164;
use crate::verify_api::{KEY, api_app};

pub fn python() -> Option<std::path::PathBuf> {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/.venv/bin/python");
    if python.is_file() {
        return Some(python);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("the Telnyx SDK test cannot run under CI: no tests/sdk/.venv");
    }
    let _ = writeln!(
        std::io::stderr(),
        "\n*** TELNYX SDK TEST SKIPPED: no tests/sdk/.venv (see tests/api/sdk.rs) ***\n"
    );
    None
}

#[tokio::test]
async fn a_program_written_for_telnyx_hosted_verify_runs_unchanged_against_this_server() {
    let Some(python) = python() else { return };
    let app = api_app(&[]).await;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/hosted_verify_program.py");
    let mut child = tokio::process::Command::new(python)
        .arg(script)
        .env_clear()
        .env("TELNYX_API_KEY", KEY)
        .env("TELNYX_BASE_URL", format!("{}/v2", app.address))
        .env("PHONE", PHONE_E164)
        .env("OTHER_PHONE", "+12015550199")
        .env("PROFILE_ID", "default")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("python runs");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut said = String::new();
    while let Ok(Some(line)) = lines.next_line().await {
        if line.starts_with("SENT ") {
            let code = app.last_code().await;
            stdin
                .write_all(format!("{code}\n").as_bytes())
                .await
                .expect("the program reads the code");
        }
        said.push_str(&line);
        said.push('\n');
    }
    let output = child.wait_with_output().await.expect("it ends");
    let errors = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{said}\n{errors}");
    assert!(said.ends_with("ALL OK\n"), "{said}\n{errors}");
}
