//! Start the real app on port 0 against a wiremock Telnyx, and drive it like a
//! browser: a client that keeps cookies and submits the pages' own forms,
//! hidden fields included.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Mutex, OnceLock};

use reqwest::StatusCode;
use scraper::{Html, Selector};
use telnyx_2fa::Clock;
use telnyx_2fa::logs::Lines;
use telnyx_2fa::settings::{ConfigFile, LogFormat, Settings};
use telnyx_2fa::startup::Application;
use tokio::task::JoinHandle;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const API_KEY: &str = "KEY_test_0123456789abcdef";
pub const FROM_NUMBER: &str = "+15550001111";
/// libphonenumber's US example number.
pub const PHONE: &str = "(201) 555-0123";
pub const PHONE_E164: &str = "+12015550123";

/// In a setting's value, stands for the app's own address (`http://127.0.0.1:PORT`),
/// which is known only once its port is bound.
pub const OWN_ADDRESS: &str = "{own address}";

static LOGS: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct CapturedLog;

impl Write for CapturedLog {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if std::env::var_os("TEST_LOG").is_some() {
            std::io::stderr().write_all(bytes)?;
        }
        LOGS.lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Everything the apps in this test binary have logged, at every level.
pub fn captured_logs() -> String {
    String::from_utf8_lossy(&LOGS.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
}

pub fn capture_logs() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let _ = tracing_subscriber::fmt()
            .with_env_filter("telnyx_2fa=trace,tower_http=trace")
            .with_ansi(false)
            .with_writer(|| CapturedLog)
            // The app's own lines, which carry the request's id.
            .event_format(Lines::new(LogFormat::Text))
            .try_init();
    });
}

pub struct TestApp {
    pub address: String,
    pub telnyx: MockServer,
    pub clock: Clock,
    pub browser: Browser,
    pub server: JoinHandle<std::io::Result<()>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The app with the Telnyx provider, pointed at a mock that accepts every message.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// As `spawn_app`, with extra environment settings (`("TWOFA_OTP__LENGTH", "8")`).
pub async fn spawn_app_with(overrides: &[(&str, &str)]) -> TestApp {
    let telnyx = MockServer::start().await;
    telnyx_accepts(&telnyx).await;
    spawn_app_against(telnyx, overrides).await
}

/// The backend the suite runs against: memory, or with
/// `TWOFA_TEST_BACKEND=redis` the Redis at `TWOFA_TEST_REDIS_URL`, under a
/// key prefix of its own for every app, so tests never see each other's keys.
fn backend_settings() -> Vec<(String, String)> {
    match std::env::var("TWOFA_TEST_BACKEND").as_deref() {
        Ok("redis") => {
            let url = std::env::var("TWOFA_TEST_REDIS_URL")
                .expect("TWOFA_TEST_BACKEND=redis needs TWOFA_TEST_REDIS_URL");
            let prefix = format!("test-{}:", uuid_like());
            vec![
                ("TWOFA_STORE__BACKEND".into(), "redis".into()),
                ("TWOFA_STORE__REDIS_URL".into(), url),
                ("TWOFA_STORE__KEY_PREFIX".into(), prefix),
            ]
        }
        Ok("memory") | Err(_) => Vec::new(),
        Ok(other) => panic!("TWOFA_TEST_BACKEND must be memory or redis, not {other:?}"),
    }
}

/// 64 random bits as hex.
pub fn uuid_like() -> String {
    let bytes: [u8; 8] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The one way tests build settings: a port the OS picks, then `layers`
/// in order, later ones winning; an empty value removes a key.
pub fn settings_env(layers: &[&[(&str, &str)]]) -> HashMap<String, String> {
    let mut env = HashMap::from([("TWOFA_SERVER__LISTEN".to_owned(), "127.0.0.1:0".to_owned())]);
    for (key, value) in layers.iter().flat_map(|layer| layer.iter()) {
        env.insert((*key).to_owned(), (*value).to_owned());
    }
    env.retain(|_, value| !value.is_empty());
    env
}

/// The settings of an app texting through `telnyx` (giving up on it after
/// a second), on the suite's backend, with `overrides` last.
pub fn app_env(telnyx: &MockServer, overrides: &[(&str, &str)]) -> HashMap<String, String> {
    let api_base = telnyx.uri();
    let backend = backend_settings();
    let backend: Vec<(&str, &str)> = backend
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    settings_env(&[
        &[
            ("TWOFA_TELNYX__API_KEY", API_KEY),
            ("TWOFA_TELNYX__FROM_NUMBER", FROM_NUMBER),
            ("TWOFA_TELNYX__API_BASE", &api_base),
            ("TWOFA_TELNYX__TIMEOUT_SECS", "1"),
        ],
        &backend,
        overrides,
    ])
}

/// Starts the app against a mock that the caller has already set up.
pub async fn spawn_app_against(telnyx: MockServer, overrides: &[(&str, &str)]) -> TestApp {
    let env = app_env(&telnyx, overrides);
    let (address, clock, server) = start_instance(&env).await;
    TestApp {
        browser: Browser::new(&address),
        address,
        telnyx,
        clock,
        server,
    }
}

/// Starts one more instance of the app with `env`; returns its address,
/// its clock and its server task (abort it to stop the instance).
pub async fn start_instance(
    env: &HashMap<String, String>,
) -> (String, Clock, JoinHandle<std::io::Result<()>>) {
    capture_logs();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let address = format!("http://{}", listener.local_addr().expect("an address"));
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.clone(), v.replace(OWN_ADDRESS, &address)))
        .collect();
    let settings = Settings::load(ConfigFile::None, &env).expect("test settings are valid");
    let app = Application::build_on(settings, listener)
        .await
        .expect("the app starts");
    let clock = app.clock();
    (address, clock, tokio::spawn(app.run_until_stopped()))
}

/// Telnyx accepts every message.
pub async fn telnyx_accepts(telnyx: &MockServer) {
    telnyx_answers(
        telnyx,
        ResponseTemplate::new(200).set_body_json(message_sent()),
    )
    .await;
}

pub async fn telnyx_answers(telnyx: &MockServer, response: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path("/v2/messages"))
        .respond_with(response)
        .mount(telnyx)
        .await;
}

/// Telnyx's 200 answer to `POST /v2/messages`, as the current spec has it.
pub fn message_sent() -> serde_json::Value {
    serde_json::json!({"data": {
        "record_type": "message", "direction": "outbound",
        "id": "40317f8e-7fc1-4b6b-9d8b-1d5f0a6f3b1e", "type": "SMS",
        "from": {"phone_number": FROM_NUMBER, "carrier": "Telnyx", "line_type": "Wireless"},
        "to": [{"phone_number": PHONE_E164, "status": "queued", "carrier": "T-Mobile", "line_type": "Wireless"}],
        "text": "Your verification code is 000000", "parts": 1, "encoding": "GSM-7",
        "cost": null, "errors": []
    }})
}

/// Telnyx's error body.
pub fn telnyx_error(code: &str, title: &str) -> serde_json::Value {
    serde_json::json!({"errors": [{"code": code, "title": title, "detail": format!("{title} for {PHONE_E164}")}]})
}

/// The one way tests read a cookie: `name=value` of the one a response sets.
pub fn cookie_of(headers: &reqwest::header::HeaderMap) -> Option<String> {
    let set_cookie = headers.get("set-cookie")?.to_str().ok()?;
    Some(set_cookie.split(';').next()?.to_owned())
}

/// A page as the browser got it.
#[derive(Debug, Clone)]
pub struct Page {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub html: String,
    /// The path a form's 303 sent the browser to, when it led here.
    pub redirected_from_post_to: Option<String>,
}

impl Page {
    pub async fn read(response: reqwest::Response) -> Self {
        let status = response.status();
        let headers = response.headers().clone();
        let html = response.text().await.expect("a body");
        Page {
            status,
            headers,
            html,
            redirected_from_post_to: None,
        }
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    pub fn contains(&self, text: &str) -> bool {
        self.html.contains(text)
    }

    pub fn document(&self) -> Html {
        Html::parse_document(&self.html)
    }

    /// The text of the first element matching `selector`.
    pub fn text_of(&self, selector: &str) -> Option<String> {
        let selector = Selector::parse(selector).expect("a valid selector");
        self.document()
            .select(&selector)
            .next()
            .map(|e| e.text().collect::<String>().trim().to_owned())
    }

    /// The fields of the form posting to `action`: name → value, hidden ones included.
    pub fn form_fields(&self, action: &str) -> Option<Vec<(String, String)>> {
        let form = Selector::parse(&format!("form[action=\"{action}\"]")).expect("selector");
        let input = Selector::parse("input[name], textarea[name], select[name]").expect("selector");
        let document = self.document();
        let form = document.select(&form).next()?;
        Some(
            form.select(&input)
                .filter_map(|e| {
                    let name = e.value().attr("name")?.to_owned();
                    Some((name, e.value().attr("value").unwrap_or("").to_owned()))
                })
                .collect(),
        )
    }
}

/// A cookie-keeping client that uses the app the way a person's browser does.
pub struct Browser {
    pub address: String,
    pub client: reqwest::Client,
    /// The page this browser shows now.
    pub page: Option<Page>,
    /// The anti-CSRF token of the last page that had a form.
    pub csrf: Option<String>,
    /// Sent with every request: e.g. `X-Forwarded-For` to play another address.
    pub headers: Vec<(String, String)>,
    /// Whether a form's 303 to a page of ours is followed, as browsers do.
    pub follow_redirects: bool,
    last_submission: Option<(String, Vec<(String, String)>)>,
}

impl Browser {
    pub fn new(address: &str) -> Self {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a client");
        Self {
            address: address.to_owned(),
            client,
            page: None,
            csrf: None,
            headers: Vec::new(),
            follow_redirects: true,
            last_submission: None,
        }
    }

    /// This browser, as seen coming from `address` through a trusted proxy.
    pub fn behind_proxy_as(mut self, address: &str) -> Self {
        self.headers
            .push(("x-forwarded-for".into(), address.into()));
        self
    }

    async fn keep(&mut self, response: reqwest::Response) -> &Page {
        let page = Page::read(response).await;
        self.keep_page(page)
    }

    fn keep_page(&mut self, page: Page) -> &Page {
        let token = Selector::parse("input[name=csrf]").expect("selector");
        if let Some(csrf) = page
            .document()
            .select(&token)
            .next()
            .and_then(|e| e.value().attr("value"))
        {
            self.csrf = Some(csrf.to_owned());
        }
        self.page.insert(page)
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.address));
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        request
    }

    pub async fn get(&mut self, path: &str) -> &Page {
        let response = self
            .request(reqwest::Method::GET, path)
            .send()
            .await
            .expect("the app answers");
        self.keep(response).await
    }

    /// Fills in `fields` on the current page's form for `action` and submits it.
    pub async fn submit(&mut self, action: &str, fields: &[(&str, &str)]) -> &Page {
        let page = self.page.as_ref().expect("a page is open");
        let mut form = page
            .form_fields(action)
            .unwrap_or_else(|| panic!("no form for {action} on the page:\n{}", page.html));
        for (name, value) in fields {
            match form.iter_mut().find(|(n, _)| n == name) {
                Some(field) => field.1 = (*value).to_owned(),
                None => panic!("the form for {action} has no field {name}"),
            }
        }
        self.post_form(action, &form).await
    }

    /// Posts exactly `fields`, whatever page is open (a script, not a person).
    pub async fn post_form<K: AsRef<str>, V: AsRef<str>>(
        &mut self,
        action: &str,
        fields: &[(K, V)],
    ) -> &Page {
        let body: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| (k.as_ref().to_owned(), v.as_ref().to_owned()))
            .collect();
        let response = self
            .request(reqwest::Method::POST, action)
            .form(&body)
            .send()
            .await
            .expect("the app answers");
        self.last_submission = Some((action.to_owned(), body));
        // A browser follows a form's 303 to a page of ours (Post/Redirect/
        // Get); one to another website (the OpenID hand-off) is looked at.
        let location = response
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .filter(|l| l.starts_with('/'))
            .map(str::to_owned);
        match location {
            Some(path) if self.follow_redirects && response.status() == StatusCode::SEE_OTHER => {
                let set_cookies: Vec<_> = response
                    .headers()
                    .get_all("set-cookie")
                    .iter()
                    .cloned()
                    .collect();
                let followed = self
                    .request(reqwest::Method::GET, &path)
                    .send()
                    .await
                    .expect("the app answers");
                let mut page = Page::read(followed).await;
                page.redirected_from_post_to = Some(path);
                // The cookie the form's answer set is the one this
                // navigation set.
                if page.headers.get("set-cookie").is_none() {
                    for cookie in set_cookies {
                        page.headers.append("set-cookie", cookie);
                    }
                }
                self.keep_page(page)
            }
            _ => self.keep(response).await,
        }
    }

    /// Posts `fields` plus the anti-CSRF token this browser last saw, as a
    /// script working with this browser's cookies would.
    pub async fn post_with_token(&mut self, action: &str, fields: &[(&str, &str)]) -> &Page {
        let token = self.csrf.clone().expect("a page with a form was opened");
        let mut body = vec![("csrf", token.as_str())];
        body.extend_from_slice(fields);
        let body: Vec<(String, String)> = body
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        self.post_form(action, &body).await
    }

    /// Sends the last form again, with `changes`: the back button and "submit".
    pub async fn resubmit(&mut self, changes: &[(&str, &str)]) -> &Page {
        let (action, mut fields) = self.last_submission.clone().expect("a form was submitted");
        for (name, value) in changes {
            if let Some(field) = fields.iter_mut().find(|(n, _)| n == name) {
                field.1 = (*value).to_owned();
            }
        }
        self.post_form(&action, &fields).await
    }

    /// `name=value` of the cookie the last page set.
    pub fn verification_cookie(&self) -> String {
        self.page
            .as_ref()
            .and_then(|p| cookie_of(&p.headers))
            .expect("the page set a cookie")
    }

    /// Opens the home page and asks for a code for `phone`.
    pub async fn request_code(&mut self, phone: &str) -> &Page {
        self.get("/").await;
        self.submit("/request", &[("phone", phone)]).await
    }

    /// Types `code` into the code page's form.
    pub async fn enter_code(&mut self, code: &str) -> &Page {
        self.submit("/verify", &[("token", code)]).await
    }

    /// Presses "Send the code again" on the code page.
    pub async fn ask_for_new_code(&mut self) -> &Page {
        self.submit("/resend", &[]).await
    }
}

impl TestApp {
    /// Another browser, with cookies of its own.
    pub fn new_browser(&self) -> Browser {
        Browser::new(&self.address)
    }

    /// Posts `fields` with exactly `cookie` and nothing else, as a script
    /// replaying a captured request would.
    pub async fn post_with_cookie(
        &self,
        action: &str,
        cookie: &str,
        fields: &[(&str, &str)],
    ) -> Page {
        let response = reqwest::Client::new()
            .post(format!("{}{action}", self.address))
            .header("cookie", cookie)
            .form(fields)
            .send()
            .await
            .expect("the app answers");
        Page::read(response).await
    }

    /// The JSON bodies Telnyx received, oldest first.
    pub async fn sent_messages(&self) -> Vec<serde_json::Value> {
        messages_received_by(&self.telnyx).await
    }

    /// The text of the latest SMS.
    pub async fn last_text(&self) -> String {
        let messages = self.sent_messages().await;
        let text = messages.last().and_then(|m| m["text"].as_str());
        text.expect("an SMS was sent").to_owned()
    }

    /// The code in the latest SMS.
    pub async fn last_code(&self) -> String {
        last_code_received_by(&self.telnyx).await
    }
}

/// The JSON bodies a mocked Telnyx received, oldest first.
pub async fn messages_received_by(telnyx: &MockServer) -> Vec<serde_json::Value> {
    telnyx
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter_map(|r| serde_json::from_slice(&r.body).ok())
        .collect()
}

/// The code in the latest SMS a mocked Telnyx received.
pub async fn last_code_received_by(telnyx: &MockServer) -> String {
    let messages = messages_received_by(telnyx).await;
    let text = messages
        .last()
        .and_then(|m| m["text"].as_str())
        .expect("an SMS was sent");
    code_in(text)
}

/// Sends `browser`'s code form with `code` `times` at once, spread over
/// `addresses` (instances of the app), with the browser's cookie and token.
pub async fn submit_at_once(
    browser: &Browser,
    addresses: &[String],
    code: &str,
    times: usize,
) -> Vec<StatusCode> {
    let csrf = browser.csrf.clone().expect("a code page was opened");
    let mut requests = tokio::task::JoinSet::new();
    for i in 0..times {
        let request = browser
            .client
            .post(format!("{}/verify", addresses[i % addresses.len()]))
            .form(&[("csrf", csrf.as_str()), ("token", code)]);
        requests.spawn(async move { request.send().await.map(|r| r.status()) });
    }
    let mut statuses = Vec::new();
    while let Some(done) = requests.join_next().await {
        statuses.push(done.expect("joined").expect("the app answers"));
    }
    statuses
}

/// Of simultaneous right codes, one verified (a 303 to the success page)
/// and the rest were told it was used.
pub fn assert_verified_exactly_once(statuses: &[StatusCode]) {
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::SEE_OTHER)
            .count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| [StatusCode::SEE_OTHER, StatusCode::GONE].contains(s)),
        "{statuses:?}"
    );
}

/// The code in an SMS text: after "code is" in English (or a log line
/// quoting one), else the last word of its first line, where every
/// language's message puts it.
pub fn code_in(text: &str) -> String {
    let after = match text.split_once("code is ") {
        Some((_, after)) => after,
        None => text
            .lines()
            .next()
            .and_then(|line| line.split_whitespace().last())
            .unwrap_or_default(),
    };
    let code: String = after
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    assert!(!code.is_empty(), "no code in {text:?}");
    code
}

/// A code of the same shape as `code` that is not `code`.
pub fn wrong_code(code: &str) -> String {
    code.chars()
        .map(|c| match c {
            '0' => '1',
            'A' => 'B',
            _ => '0',
        })
        .collect()
}

/// The languages in `locales/` (one file each), English first and the rest
/// by tag, as the app offers them by default.
pub fn languages_in_locales() -> Vec<String> {
    let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/locales");
    let mut tags: Vec<String> = std::fs::read_dir(folder)
        .expect("locales/")
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            Some(name.strip_suffix(".ftl")?.to_owned())
        })
        .filter(|tag| tag != "en")
        .collect();
    tags.sort();
    tags.insert(0, "en".to_owned());
    tags
}
