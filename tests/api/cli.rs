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
