//! End-to-end tests in headless Chromium, driven through chromedriver, with
//! axe-core checking every page for serious accessibility violations.
//!
//! Without chromedriver (or axe-core's `npm ci` in tests/browser) these tests
//! say loudly that they were skipped; under CI (`CI=true`) that is a failure.
//! `TWOFA_TEST_SCREENSHOTS=1` also saves each page to docs/screenshots/.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use reqwest::StatusCode;
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{PHONE, TestApp, spawn_app_against, telnyx_accepts, telnyx_error, wrong_code};

/// Numbers the mocked Telnyx fails for, to reach the 502 and 503 pages.
const FAILING_PHONE: &str = "+1 201 555 0150";
const THROTTLED_PHONE: &str = "+1 201 555 0151";

const CHROMIUM_FLAGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
];

/// The screen a session emulates.
#[derive(Clone, Copy, PartialEq)]
enum Screen {
    Desktop,
    /// 375 CSS pixels wide, like most phones.
    Phone,
    /// 320 CSS pixels wide, the narrowest phones still in use.
    NarrowPhone,
    /// Desktop with `prefers-color-scheme: dark`.
    DesktopDark,
}

impl Screen {
    fn name(self) -> &'static str {
        match self {
            Screen::Desktop => "desktop",
            Screen::Phone => "phone",
            Screen::NarrowPhone => "narrow",
            Screen::DesktopDark => "dark",
        }
    }
}

fn executable(name: &str, env: &str) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(env) {
        return Some(PathBuf::from(path)).filter(|p| p.is_file());
    }
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

fn axe_source_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/node_modules/axe-core/axe.min.js")
}

/// `None`, with a loud note, when the tools are missing outside CI.
fn tools() -> Option<(PathBuf, String)> {
    let driver = executable("chromedriver", "CHROMEDRIVER");
    let axe = std::fs::read_to_string(axe_source_path()).ok();
    match (driver, axe) {
        (Some(driver), Some(axe)) => Some((driver, axe)),
        (driver, axe) => {
            let missing = match (driver, axe) {
                (None, None) => "chromedriver and axe-core",
                (None, _) => "chromedriver (Debian: apt-get install chromium chromium-driver)",
                _ => "axe-core (npm ci --prefix tests/browser)",
            };
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("browser tests cannot run under CI: no {missing}");
            }
            // Straight to the terminal: the test harness hides a passing test's output.
            let _ = writeln!(
                std::io::stderr(),
                "\n*** BROWSER TESTS SKIPPED: no {missing} ***\n"
            );
            None
        }
    }
}

/// A headless Chromium session and the chromedriver behind it, both ended on drop.
struct Chromium {
    client: Client,
    driver: Child,
    profile: PathBuf,
    axe: String,
    screen: Screen,
}

impl Chromium {
    async fn start(screen: Screen) -> Option<Self> {
        let (driver_path, axe) = tools()?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let driver = Command::new(driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile =
            std::env::temp_dir().join(format!("twofa-chromium-{}-{port}", std::process::id()));
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|s| (*s).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        args.push("--window-size=1280,900".into());
        if screen == Screen::DesktopDark {
            args.push("--force-dark-mode".into());
        }
        let mut options = json!({ "args": args });
        if let Some(binary) = executable("chromium", "CHROMIUM") {
            options["binary"] = json!(binary);
        }
        let phone_width = match screen {
            Screen::Phone => Some(375),
            Screen::NarrowPhone => Some(320),
            Screen::Desktop | Screen::DesktopDark => None,
        };
        if let Some(width) = phone_width {
            options["mobileEmulation"] =
                json!({"deviceMetrics": {"width": width, "height": 812, "pixelRatio": 2}});
        }
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("goog:chromeOptions".into(), options);
        let url = format!("http://127.0.0.1:{port}");
        let mut client = None;
        for _ in 0..100 {
            let connected = ClientBuilder::new(HttpConnector::new())
                .capabilities(capabilities.clone())
                .connect(&url)
                .await;
            match connected {
                Ok(c) => {
                    client = Some(c);
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        let client = client.expect("chromedriver starts a Chromium session within 10 s");
        Some(Self {
            client,
            driver,
            profile,
            axe,
            screen,
        })
    }

    async fn goto(&self, app: &TestApp, path: &str) {
        self.goto_at(&app.address, path).await;
    }

    async fn goto_at(&self, address: &str, path: &str) {
        self.client
            .goto(&format!("{address}{path}"))
            .await
            .expect("navigation");
    }

    async fn type_into(&self, css: &str, text: &str) {
        let field = self
            .client
            .find(Locator::Css(css))
            .await
            .expect("the field");
        field.clear().await.expect("clear");
        field.send_keys(text).await.expect("typing");
    }

    /// Clicks something that loads a new page, and waits for that page.
    async fn click(&self, css: &str) {
        self.mark_page().await;
        self.client
            .find(Locator::Css(css))
            .await
            .expect("the control")
            .click()
            .await
            .expect("click");
        self.wait_for_new_page().await;
    }

    /// Runs a script that loads a new page, and waits for that page.
    async fn navigate_by_script(&self, script: &str) {
        self.mark_page().await;
        self.script(script).await;
        self.wait_for_new_page().await;
    }

    async fn mark_page(&self) {
        self.script("window.twofaOldPage = true;").await;
    }

    async fn wait_for_new_page(&self) {
        for _ in 0..200 {
            let loaded = self
                .client
                .execute(
                    "return !window.twofaOldPage && document.readyState === 'complete';",
                    vec![],
                )
                .await;
            if loaded.is_ok_and(|v| v == json!(true)) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("no new page within 5 s");
    }

    async fn text(&self, css: &str) -> String {
        self.client
            .find(Locator::Css(css))
            .await
            .expect("the element")
            .text()
            .await
            .expect("text")
    }

    async fn script(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .expect("the script runs")
    }

    async fn heading(&self) -> String {
        self.text("h1").await
    }

    /// Runs axe-core on the page; fails on any serious or critical violation.
    /// Also saves a screenshot when asked to.
    async fn check_page(&self, name: &str) {
        self.script(&format!("{}\nreturn true;", self.axe)).await;
        let violations = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] })
                   .then(r => done(r.violations
                     .filter(v => v.impact === 'serious' || v.impact === 'critical')
                     .map(v => v.id + ' (' + v.impact + '): ' + v.help + ' at ' +
                          v.nodes.map(n => n.target.join(' ')).join(', '))))
                   .catch(e => done(['axe failed: ' + e]));",
                vec![],
            )
            .await
            .expect("axe runs");
        let violations: Vec<String> = serde_json::from_value(violations).unwrap_or_default();
        assert!(
            violations.is_empty(),
            "{name} ({}): {violations:#?}",
            self.screen.name()
        );

        let scroll = self
            .script("return [document.documentElement.scrollWidth, window.innerWidth];")
            .await;
        let (content, viewport) = (
            scroll[0].as_u64().unwrap_or(0),
            scroll[1].as_u64().unwrap_or(0),
        );
        assert!(
            content <= viewport,
            "{name} ({}) scrolls sideways: {content} > {viewport}",
            self.screen.name()
        );

        if std::env::var_os("TWOFA_TEST_SCREENSHOTS").is_some() {
            let png = self.client.screenshot().await.expect("a screenshot");
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots");
            std::fs::create_dir_all(&dir).expect("docs/screenshots");
            std::fs::write(dir.join(format!("{name}-{}.png", self.screen.name())), png)
                .expect("saved");
        }
    }

    async fn end(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        // Chromium outlives a killed chromedriver; find it by its profile.
        let _ = Command::new("pkill")
            .arg("-f")
            .arg(self.profile.display().to_string())
            .status();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// The app against a Telnyx that fails for two numbers and accepts the rest.
async fn app_for_browsers() -> TestApp {
    let telnyx = MockServer::start().await;
    for (phone, response) in [
        (
            "+12015550150",
            ResponseTemplate::new(401)
                .set_body_json(telnyx_error("10009", "Authentication failed")),
        ),
        (
            "+12015550151",
            ResponseTemplate::new(429).set_body_json(telnyx_error("10011", "Too many requests")),
        ),
    ] {
        Mock::given(method("POST"))
            .and(path("/v2/messages"))
            .and(body_partial_json(json!({ "to": phone })))
            .respond_with(response)
            .with_priority(1)
            .mount(&telnyx)
            .await;
    }
    telnyx_accepts(&telnyx).await;
    spawn_app_against(telnyx, &[]).await
}

async fn request_code(chromium: &Chromium, app: &TestApp, phone: &str) {
    chromium.goto(app, "/").await;
    chromium.type_into("#phone", phone).await;
    chromium.click("form[action='/request'] button").await;
}

/// Walks every page of the flow, error pages included, checking each, in
/// the language `tag` (picked with the switcher, as a person would).
async fn tour_every_page(screen: Screen, tag: &str) {
    let Some(chromium) = Chromium::start(screen).await else {
        return;
    };
    let app = app_for_browsers().await;
    let c = &chromium;
    let english = tag == "en";
    let pick = format!("/language/{tag}?back=/");
    // Screenshots of other languages are named for them.
    let shot = |name: &str| {
        if english {
            name.to_owned()
        } else {
            format!("{name}-{tag}")
        }
    };
    let check = |name: &'static str| {
        let shot = shot(name);
        async move {
            let lang = c
                .script("return [document.documentElement.lang, document.documentElement.dir];")
                .await;
            assert_eq!(lang[0], json!(tag), "{name}");
            assert_eq!(
                lang[1],
                json!(if tag == "ar" { "rtl" } else { "ltr" }),
                "{name}"
            );
            // Letters spaced apart would break the joins of Arabic script.
            if tag == "ar" {
                let spacing = c
                    .script(
                        "return getComputedStyle(document.querySelector('.brand')).letterSpacing;",
                    )
                    .await;
                assert_eq!(spacing, json!("normal"), "{name}");
            }
            c.check_page(&shot).await;
        }
    };

    c.goto(&app, &pick).await;
    check("1-phone-form").await;

    c.type_into("#phone", "(555) 123-4567").await;
    c.click("form[action='/request'] button").await;
    assert!(
        !english
            || c.text("#phone-error")
                .await
                .contains("doesn't look like a phone number")
    );
    check("2-phone-form-error").await;

    request_code(c, &app, PHONE).await;
    assert!(!english || c.heading().await == "Enter your code");
    check("3-code-form").await;

    let code = app.last_code().await;
    c.type_into("#token", &wrong_code(&code)).await;
    c.click("form[action='/verify'] button").await;
    check("4-code-form-wrong").await;

    // The button waits out the cooldown; a script posting anyway is told
    // to wait, in the one note about sending again.
    c.navigate_by_script("document.querySelector(\"form[action='/resend']\").submit();")
        .await;
    assert!(!english || c.text("#resend-note").await.contains("Wait"));
    check("5-code-form-cooldown").await;

    // In Arabic, typed as an Arabic keyboard types it: ٠١٢٣٤٥٦٧٨٩.
    let typed: String = if tag == "ar" {
        code.chars()
            .map(|d| char::from_u32(0x0660 + d.to_digit(10).unwrap_or(0)).unwrap_or(d))
            .collect()
    } else {
        code.clone()
    };
    c.type_into("#token", &typed).await;
    c.click("form[action='/verify'] button").await;
    assert!(!english || c.heading().await == "Phone number verified");
    assert_eq!(
        c.script("return location.pathname;").await,
        json!("/verified"),
        "{tag}: {typed}"
    );
    check("6-verified").await;

    // A fresh browser asking inside the cooldown: the phone form, with the
    // wait. Then the problem pages: 403, 404, 413, 502 and 503.
    c.client
        .delete_all_cookies()
        .await
        .expect("cookies cleared");
    c.goto(&app, &pick).await;
    request_code(c, &app, PHONE).await;
    assert!(!english || c.heading().await == "Verify your phone number");
    assert!(!english || c.text("#phone-error").await.contains("Wait"));
    check("7-phone-form-429").await;

    c.goto(&app, "/").await;
    c.navigate_by_script("document.querySelector('input[name=csrf]').value = 'forged'; document.querySelector('form').submit();")
        .await;
    assert!(!english || c.heading().await == "This form has expired");
    check("8-error-403").await;

    c.goto(&app, "/no-such-page").await;
    assert!(!english || c.heading().await == "Page not found");
    check("9-error-404").await;

    c.goto(&app, "/").await;
    c.navigate_by_script("document.getElementById('phone').value = '1'.repeat(20000); document.querySelector('form').submit();")
        .await;
    assert!(!english || c.heading().await == "That was too much");
    check("10-error-413").await;

    request_code(c, &app, FAILING_PHONE).await;
    assert!(!english || c.heading().await == "We couldn't send your code");
    check("11-error-502").await;

    request_code(c, &app, THROTTLED_PHONE).await;
    assert!(!english || c.heading().await == "We couldn't send your code");
    check("12-error-503").await;

    chromium.end().await;
}

#[tokio::test]
async fn every_page_passes_axe_and_fits_a_desktop_window() {
    tour_every_page(Screen::Desktop, "en").await;
}

#[tokio::test]
async fn every_page_passes_axe_in_spanish_on_a_phone() {
    tour_every_page(Screen::Phone, "es").await;
}

#[tokio::test]
async fn every_page_passes_axe_in_arabic_laid_out_right_to_left() {
    tour_every_page(Screen::Desktop, "ar").await;
}

#[tokio::test]
async fn every_page_passes_axe_and_fits_a_375_pixel_phone_without_sideways_scrolling() {
    tour_every_page(Screen::Phone, "en").await;
}

#[tokio::test]
async fn the_widest_pages_fit_a_320_pixel_phone() {
    let Some(c) = Chromium::start(Screen::NarrowPhone).await else {
        return;
    };
    let app = app_for_browsers().await;
    c.goto(&app, "/").await;
    assert_eq!(c.script("return window.innerWidth;").await, json!(320));
    c.type_into("#phone", "(555) 123-4567").await;
    c.click("form[action='/request'] button").await;
    c.check_page("phone-form-error").await;
    request_code(&c, &app, PHONE).await;
    c.navigate_by_script("document.querySelector(\"form[action='/resend']\").submit();")
        .await;
    c.check_page("code-form-cooldown").await;
    c.end().await;
}

#[tokio::test]
async fn every_page_passes_axe_in_the_dark_theme() {
    let Some(chromium) = Chromium::start(Screen::DesktopDark).await else {
        return;
    };
    let app = app_for_browsers().await;
    chromium.goto(&app, "/").await;
    let dark = chromium
        .script("return matchMedia('(prefers-color-scheme: dark)').matches;")
        .await;
    assert_eq!(dark, json!(true), "the dark theme is in force");
    chromium.end().await;
    tour_every_page(Screen::DesktopDark, "en").await;
}

#[tokio::test]
async fn a_person_verifies_their_number_and_reload_or_back_never_posts_again() {
    let Some(c) = Chromium::start(Screen::Desktop).await else {
        return;
    };
    let app = app_for_browsers().await;
    request_code(&c, &app, PHONE).await;
    let path = "return location.pathname;";
    assert_eq!(
        c.script(path).await,
        json!("/verify"),
        "a send ends on a page of its own"
    );
    assert!(c.text("main").await.contains("+1 ••• ••• 0123"));
    let focused = c.script("return document.activeElement.id;").await;
    assert_eq!(focused, json!("token"), "the code field has the focus");
    c.type_into("#token", &app.last_code().await).await;
    c.click("form[action='/verify'] button").await;
    assert_eq!(c.heading().await, "Phone number verified");
    assert_eq!(c.script(path).await, json!("/verified"));
    c.navigate_by_script("location.reload();").await;
    assert_eq!(
        c.heading().await,
        "Phone number verified",
        "reload shows it again"
    );
    assert!(c.text("main").await.contains("+1 ••• ••• 0123"));
    // Back lands on the code page's address; with the code used, that is
    // the phone form, never the browser's "Confirm Form Resubmission".
    c.navigate_by_script("history.back();").await;
    assert_eq!(c.heading().await, "Verify your phone number");
    c.end().await;
}

#[tokio::test]
async fn a_wrong_code_is_announced_tied_to_the_field_and_focused() {
    let Some(c) = Chromium::start(Screen::Desktop).await else {
        return;
    };
    let app = app_for_browsers().await;
    request_code(&c, &app, PHONE).await;
    c.type_into("#token", &wrong_code(&app.last_code().await))
        .await;
    c.click("form[action='/verify'] button").await;
    let error = c
        .client
        .find(Locator::Css("#token-error"))
        .await
        .expect("an error");
    assert_eq!(
        error.attr("role").await.ok().flatten().as_deref(),
        Some("alert")
    );
    assert!(
        error
            .text()
            .await
            .unwrap_or_default()
            .contains("isn't right")
    );
    let field = c
        .client
        .find(Locator::Css("#token"))
        .await
        .expect("the field");
    assert_eq!(
        field.attr("aria-invalid").await.ok().flatten().as_deref(),
        Some("true")
    );
    assert_eq!(
        field
            .attr("aria-describedby")
            .await
            .ok()
            .flatten()
            .as_deref(),
        Some("token-error")
    );
    assert_eq!(
        c.script("return document.activeElement.id;").await,
        json!("token")
    );
    c.end().await;
}

#[tokio::test]
async fn inside_the_cooldown_the_send_button_waits_and_a_forced_ask_shows_one_message() {
    let Some(c) = Chromium::start(Screen::Desktop).await else {
        return;
    };
    let app = app_for_browsers().await;
    request_code(&c, &app, PHONE).await;
    assert!(c.text("#resend-note").await.contains("seconds"));
    let disabled = "return document.querySelector(\"form[action='/resend'] button\").disabled;";
    assert_eq!(
        c.script(disabled).await,
        json!(true),
        "no sending during the cooldown"
    );
    c.navigate_by_script("document.querySelector(\"form[action='/resend']\").submit();")
        .await;
    let note = c.text("#resend-note").await;
    assert!(note.contains("Wait") && note.contains("seconds"), "{note}");
    assert_eq!(
        c.script("return document.querySelectorAll('.other-actions .error').length;")
            .await,
        json!(1),
        "one message about sending again"
    );
    let field = c
        .client
        .find(Locator::Css("#token"))
        .await
        .expect("the field");
    assert_eq!(
        field.attr("aria-invalid").await.ok().flatten(),
        None,
        "the code field is not at fault"
    );
    assert_eq!(app.sent_messages().await.len(), 1);
    c.end().await;
}

#[tokio::test]
async fn the_countdown_speaks_the_pages_language_in_the_pages_own_words() {
    let Some(c) = Chromium::start(Screen::Desktop).await else {
        return;
    };
    let telnyx = MockServer::start().await;
    telnyx_accepts(&telnyx).await;
    let app = spawn_app_against(telnyx, &[("TWOFA_LIMITS__RESEND_COOLDOWN_SECS", "3")]).await;
    c.goto(&app, "/language/ar?back=/").await;
    request_code(&c, &app, PHONE).await;
    let first = c.text("#resend-note .countdown").await;
    assert_eq!(first, "3 ثوانٍ", "the page's words");
    // The page's own timer, in the browser: wait for it to tick.
    let mut later = first.clone();
    for _ in 0..60 {
        later = c.text("#resend-note .countdown").await;
        if later != first {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Arabic's dual, in the case the sentence needs (the browser's own unit
    // formatting would say ثانيتان).
    assert_eq!(later, "ثانيتين", "the script's words are the page's");
    c.end().await;
}

#[tokio::test]
async fn the_send_button_comes_back_when_the_countdown_ends() {
    let Some(c) = Chromium::start(Screen::Desktop).await else {
        return;
    };
    let telnyx = MockServer::start().await;
    telnyx_accepts(&telnyx).await;
    let app = spawn_app_against(telnyx, &[("TWOFA_LIMITS__RESEND_COOLDOWN_SECS", "1")]).await;
    request_code(&c, &app, PHONE).await;
    let disabled = "return document.querySelector(\"form[action='/resend'] button\").disabled;";
    assert_eq!(c.script(disabled).await, json!(true));
    // The page's own timer, in the browser: wait for it to run out.
    let mut enabled = false;
    for _ in 0..100 {
        if c.script(disabled).await == json!(false) {
            enabled = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(enabled, "the button is back after the countdown");
    assert!(c.text("#resend-note").await.contains("now"));
    c.end().await;
}

#[tokio::test]
async fn while_a_code_is_being_sent_the_button_says_sending_and_cannot_be_pressed_again() {
    let Some(c) = Chromium::start(Screen::Desktop).await else {
        return;
    };
    let app = app_for_browsers().await;
    c.goto(&app, "/").await;
    c.type_into("#phone", PHONE).await;
    // The moment between pressing and the answer, held still: the page's
    // own handler runs, then this one keeps the browser from leaving (a
    // driver cannot look at a page while it is being left).
    let pressed = c
        .script(
            "var form = document.querySelector(\"form[action='/request']\"); \
             form.addEventListener('submit', function (e) { e.preventDefault(); }); \
             var b = form.querySelector('button'); b.click(); \
             return new Promise(function (done) { setTimeout(function () { \
               done([b.disabled, b.textContent, b.getAttribute('aria-busy')]); }, 50); });",
        )
        .await;
    assert_eq!(pressed, json!([true, "Sending…", "true"]));
    assert!(
        app.sent_messages().await.is_empty(),
        "held still: nothing sent"
    );
    c.end().await;
}

#[tokio::test]
async fn use_a_different_number_returns_to_the_phone_form() {
    let Some(c) = Chromium::start(Screen::Phone).await else {
        return;
    };
    let app = app_for_browsers().await;
    request_code(&c, &app, PHONE).await;
    c.click(".other-actions a[href='/']").await;
    assert_eq!(c.heading().await, "Verify your phone number");
    request_code(&c, &app, "+1 201 555 0199").await;
    assert!(c.text("main").await.contains("+1 ••• ••• 0199"));
    assert_eq!(app.sent_messages().await.len(), 2);
    let status = reqwest::get(format!("{}/", app.address))
        .await
        .map(|r| r.status())
        .ok();
    assert_eq!(status, Some(StatusCode::OK));
    c.end().await;
}

#[tokio::test]
async fn the_sign_in_pages_for_another_website_pass_axe_and_send_the_person_back() {
    sign_in_for_another_website(Screen::Phone, "en").await;
}

#[tokio::test]
async fn the_sign_in_pages_pass_axe_in_spanish_and_in_arabic_when_the_website_asks_for_them() {
    sign_in_for_another_website(Screen::Phone, "es").await;
    sign_in_for_another_website(Screen::Desktop, "ar").await;
}

/// A website sends the person here (asking for the language `tag` with
/// `ui_locales`), they verify, and are sent back; each page checked.
async fn sign_in_for_another_website(screen: Screen, tag: &str) {
    let Some(c) = Chromium::start(screen).await else {
        return;
    };
    let shot = |name: &str| {
        if tag == "en" {
            name.to_owned()
        } else {
            format!("{name}-{tag}")
        }
    };
    let telnyx = MockServer::start().await;
    telnyx_accepts(&telnyx).await;
    let key = format!(
        "{}/tests/fixtures/oidc-test-key.pem",
        env!("CARGO_MANIFEST_DIR")
    );
    let callback = "http://127.0.0.1:9/callback";
    let app = spawn_app_against(
        telnyx,
        &[
            ("TWOFA_SERVER__PUBLIC_URL", crate::helpers::OWN_ADDRESS),
            ("TWOFA_OIDC__SIGNING_KEY_FILE", &key),
            ("TWOFA_OIDC__CLIENTS__SHOP__NAME", "The Example Shop"),
            ("TWOFA_OIDC__CLIENTS__SHOP__REDIRECT_URIS", callback),
        ],
    )
    .await;
    c.goto(
        &app,
        &format!(
            "/authorize?response_type=code&client_id=shop&scope=openid%20phone&state=s1\
             &redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcallback&ui_locales={tag}\
             &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
        ),
    )
    .await;
    let lang = "return document.documentElement.lang;";
    assert_eq!(c.script(lang).await, json!(tag));
    assert!(c.text(".client").await.contains("The Example Shop"));
    c.check_page(&shot("13-sign-in-phone-form")).await;
    c.type_into("#phone", PHONE).await;
    c.click("form[action='/request'] button").await;
    assert!(c.text(".client").await.contains("The Example Shop"));
    assert_eq!(c.script(lang).await, json!(tag));
    c.check_page(&shot("14-sign-in-code-form")).await;
    c.type_into("#token", &app.last_code().await).await;
    c.client
        .find(Locator::Css("form[action='/verify'] button"))
        .await
        .expect("the button")
        .click()
        .await
        .expect("click");
    let mut sent_back = String::new();
    for _ in 0..100 {
        sent_back = c
            .client
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default();
        if sent_back.starts_with(callback) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        sent_back.starts_with(&format!("{callback}?code=")),
        "{sent_back}"
    );
    assert!(sent_back.contains("state=s1"), "{sent_back}");
    c.end().await;
}

#[tokio::test]
async fn the_code_page_shows_news_of_the_sms_without_a_reload() {
    news_of_the_sms_without_a_reload("en").await;
}

#[tokio::test]
async fn news_of_the_sms_passes_axe_in_arabic_and_in_spanish() {
    news_of_the_sms_without_a_reload("ar").await;
    news_of_the_sms_without_a_reload("es").await;
}

/// The code page, in the language `tag`, told by a receipt that the SMS
/// failed: the news appears without a reload and the page is checked.
async fn news_of_the_sms_without_a_reload(tag: &str) {
    let english = tag == "en";
    let Some(c) = Chromium::start(Screen::Desktop).await else {
        return;
    };
    let (app, messages) = crate::receipts::app_with_receipts(&[]).await;
    c.goto_at(&app.address, &format!("/language/{tag}?back=/"))
        .await;
    c.type_into("#phone", PHONE).await;
    c.click("form[action='/request'] button").await;
    assert!(!english || c.text("#resend-note").await.contains("seconds"));
    c.mark_page().await;
    let failed = crate::receipts::receipt("message.finalized", &messages.last(), "delivery_failed");
    assert_eq!(
        crate::receipts::telnyx_posts(&messages.receipts_url(), &failed).await,
        StatusCode::OK
    );
    let mut news = String::new();
    for _ in 0..100 {
        news = c.text("#delivery").await;
        if !news.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!news.is_empty(), "{tag}: no news");
    assert!(
        !english || news.contains("couldn't deliver the code"),
        "{news:?}"
    );
    assert_eq!(
        c.script("return window.twofaOldPage === true;").await,
        json!(true),
        "the same page, not reloaded"
    );
    assert!(
        !english || c.text("#resend-note").await == "Didn't get it? We can send the code again."
    );
    c.check_page(&if english {
        "code-undelivered".to_owned()
    } else {
        format!("code-undelivered-{tag}")
    })
    .await;
    c.click("form[action='/resend'] button").await;
    assert!(!english || c.heading().await == "Enter your code");
    assert_eq!(
        app.telnyx
            .received_requests()
            .await
            .unwrap_or_default()
            .len(),
        2
    );
    c.end().await;
}
