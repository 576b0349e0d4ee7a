//! The binary itself: its help, its refusal of bad settings, and a start with
//! no configuration at all.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const BINARY: &str = env!("CARGO_BIN_EXE_telnyx-2fa");

/// The binary with an empty environment, run from an empty directory so no
/// stray config.toml is read.
fn bare_command() -> Command {
    let dir = std::env::temp_dir().join(format!("twofa-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let mut command = Command::new(BINARY);
    command.env_clear().current_dir(dir);
    command
}

#[test]
fn help_explains_the_config_flag_and_the_environment() {
    let output = bare_command()
        .arg("--help")
        .output()
        .expect("the binary runs");
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("--config <PATH>"), "{help}");
    assert!(help.contains("TWOFA_<SECTION>__<KEY>"), "{help}");
}

#[test]
fn print_example_config_prints_config_example_toml_and_help_says_so() {
    let output = bare_command()
        .arg("--print-example-config")
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(0));
    let example =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config.example.toml"))
            .expect("config.example.toml");
    assert!(
        String::from_utf8_lossy(&output.stdout) == example,
        "the printed text is config.example.toml, byte for byte"
    );
    for flag in ["--help", "-h"] {
        let output = bare_command().arg(flag).output().expect("the binary runs");
        let help = String::from_utf8_lossy(&output.stdout);
        assert!(help.contains("--print-example-config"), "{flag}: {help}");
    }
}

#[test]
fn a_twofa_variable_that_names_no_setting_stops_the_program_naming_the_closest_real_one() {
    let output = bare_command()
        .env("TWOFA_OTP_LENGTH", "8")
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.trim(),
        "telnyx-2fa: invalid settings: the environment variable TWOFA_OTP_LENGTH names no \
         setting; did you mean TWOFA_OTP__LENGTH?"
    );
}

#[test]
fn an_invalid_setting_stops_the_program_with_one_line_and_exit_code_2() {
    let output = bare_command()
        .env("TWOFA_OTP__LENGTH", "42")
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("otp.length must be between 4 and 10 (got 42 in TWOFA_OTP__LENGTH)"),
        "{stderr}"
    );
}

#[test]
fn a_missing_config_file_named_on_the_command_line_is_an_error() {
    let output = bare_command()
        .args(["--config", "/nonexistent/twofa.toml"])
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(2));
}

#[tokio::test]
async fn with_no_configuration_it_serves_the_flow_and_logs_codes_loudly() {
    let mut child = bare_command()
        .env("TWOFA_SERVER__LISTEN", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut log = String::new();
    let address = loop {
        let line = lines
            .next()
            .and_then(Result::ok)
            .expect("the server logs its address");
        log.push_str(&line);
        if let Some(address) = line.split("listening on ").nth(1) {
            break address.trim().to_owned();
        }
    };
    assert!(log.contains("NOT texted"), "{log}");

    let mut browser = crate::helpers::Browser::new(&address);
    // Run from an empty directory, it still has its stylesheet: it is built in.
    let stylesheet = browser.get(telnyx_2fa::stylesheet()).await;
    assert_eq!(stylesheet.status, reqwest::StatusCode::OK);
    browser.request_code(crate::helpers::PHONE).await;
    let line = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|l| l.contains("message NOT sent"))
        .expect("the console provider logs the SMS");
    let code = crate::helpers::code_in(&line);
    assert_eq!(
        browser.enter_code(&code).await.status,
        reqwest::StatusCode::OK
    );

    // SIGTERM: a graceful stop, exit code 0.
    let _ = Command::new("kill").arg(child.id().to_string()).status();
    assert!(child.wait().expect("the binary exits").success());
}

#[test]
fn a_misspelt_section_in_the_config_file_stops_the_program_naming_it() {
    let dir = std::env::temp_dir().join(format!("twofa-cli-typo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let file = dir.join("config.toml");
    std::fs::write(&file, "[sever]\nlisten = \"127.0.0.1:3000\"\n").expect("written");
    let output = bare_command()
        .arg("--config")
        .arg(&file)
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("sever is not a setting"), "{stderr}");
    assert!(stderr.contains("did you mean server?"), "{stderr}");
}

#[test]
fn without_an_api_key_on_a_public_address_it_refuses_to_log_codes_unless_told_to() {
    let output = bare_command()
        .env("TWOFA_SERVER__LISTEN", "0.0.0.0:0")
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("sms.provider must be set"), "{stderr}");
}

#[tokio::test]
async fn with_json_logs_and_sigterm_a_send_waiting_on_telnyx_completes_then_it_exits_0() {
    use std::time::Duration;

    let telnyx = wiremock::MockServer::start().await;
    let slow = wiremock::ResponseTemplate::new(200)
        .set_body_json(crate::helpers::message_sent())
        .set_delay(Duration::from_millis(1000));
    crate::helpers::telnyx_answers(&telnyx, slow).await;
    let mut child = bare_command()
        .env("TWOFA_SERVER__LISTEN", "127.0.0.1:0")
        .env("TWOFA_LOG__FORMAT", "json")
        .env("TWOFA_TELNYX__API_KEY", crate::helpers::API_KEY)
        .env("TWOFA_TELNYX__FROM_NUMBER", crate::helpers::FROM_NUMBER)
        .env("TWOFA_TELNYX__API_BASE", telnyx.uri())
        .env("TWOFA_TELNYX__TIMEOUT_SECS", "10")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let (lines, log) = std::sync::mpsc::channel::<serde_json::Value>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let line: serde_json::Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("not one JSON object a line ({e}): {line}"));
            if lines.send(line).is_err() {
                return;
            }
        }
    });
    let address = log
        .iter()
        .find_map(|line| {
            let message = line["message"].as_str()?;
            Some(message.strip_prefix("listening on ")?.to_owned())
        })
        .expect("the server logs its address");

    let mut browser = crate::helpers::Browser::new(&address);
    browser.get("/").await;
    browser
        .headers
        .push(("x-request-id".into(), "sigterm-test-1".into()));
    // The send must finish; the code page is one redirect away.
    browser.follow_redirects = false;
    let sending = tokio::spawn(async move {
        let page = browser
            .submit("/request", &[("phone", crate::helpers::PHONE)])
            .await;
        (page.status, page.header("location") == "/verify")
    });
    while telnyx
        .received_requests()
        .await
        .unwrap_or_default()
        .is_empty()
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    assert_eq!(
        sending.await.expect("joined"),
        (reqwest::StatusCode::SEE_OTHER, true),
        "the send finished and the user is sent on to the code page"
    );
    assert!(child.wait().expect("the binary exits").success());

    let lines: Vec<serde_json::Value> = log.iter().collect();
    for line in &lines {
        for field in ["timestamp", "level", "target", "message"] {
            assert!(line.get(field).is_some(), "no {field} in {line}");
        }
    }
    let sent = lines
        .iter()
        .find(|l| l["message"] == "code sent")
        .expect("the send is logged");
    assert_eq!(sent["span"]["request_id"], "sigterm-test-1", "{sent}");
    let to = sent["to"].as_str().unwrap_or_default();
    assert!(to.starts_with("+1••••••0123 ["), "masked: {sent}");
}
