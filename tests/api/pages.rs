//! Every answer is a page in the app's style, never a bare text rejection.

use reqwest::StatusCode;

use crate::helpers::{PHONE, captured_logs, code_in, spawn_app, spawn_app_with};

async fn assert_styled_page(page: &crate::helpers::Page, status: StatusCode) {
    assert_eq!(page.status, status, "{}", page.html);
    let content_type = page
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert!(page.contains("<link rel=\"stylesheet\" href=\"/static/style."));
    assert!(page.text_of("h1").is_some());
}

#[tokio::test]
async fn an_unknown_address_gets_a_404_page() {
    let mut app = spawn_app().await;
    let page = app.browser.get("/nope").await;
    assert_styled_page(page, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn a_get_of_a_form_address_gets_a_405_page() {
    let mut app = spawn_app().await;
    let page = app.browser.get("/request").await;
    assert_styled_page(page, StatusCode::METHOD_NOT_ALLOWED).await;
    assert!(
        page.contains("<h1>This address takes forms only</h1>"),
        "{}",
        page.html
    );
}

#[tokio::test]
async fn reloading_the_code_page_shows_it_again_and_with_nothing_pending_goes_home() {
    let mut app = spawn_app().await;
    let page = app.browser.get("/verify").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "nothing pending");
    assert_eq!(page.header("location"), "/");
    app.browser.request_code(PHONE).await;
    let page = app.browser.get("/verify").await;
    assert_styled_page(page, StatusCode::OK).await;
    assert!(page.contains("name=\"token\""), "{}", page.html);
    let code = app.last_code().await;
    assert_eq!(app.browser.enter_code(&code).await.status, StatusCode::OK);
    assert_eq!(
        app.browser.get("/verify").await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn a_sent_code_and_a_right_code_each_answer_with_a_redirect_to_a_page_that_reloads() {
    let mut app = spawn_app().await;
    let page = app.browser.request_code(PHONE).await;
    assert_eq!(page.redirected_from_post_to.as_deref(), Some("/verify"));
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.contains("We texted a code to"), "{}", page.html);
    let reloaded = app.browser.get("/verify").await;
    assert!(reloaded.contains("name=\"token\""), "{}", reloaded.html);
    let code = app.last_code().await;
    let page = app.browser.enter_code(&code).await;
    assert_eq!(page.redirected_from_post_to.as_deref(), Some("/verified"));
    assert!(page.contains("Phone number verified"), "{}", page.html);
    let reloaded = app.browser.get("/verified").await;
    assert_eq!(reloaded.status, StatusCode::OK);
    assert!(reloaded.contains("0123"), "{}", reloaded.html);
    // Another browser has verified nothing: no success page for it.
    let mut other = app.new_browser();
    let page = other.get("/verified").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.header("location"), "/");
}

#[tokio::test]
async fn a_resend_says_the_code_was_texted_again_on_the_page_it_redirects_to() {
    let mut app = spawn_app_with(&[("TWOFA_LIMITS__RESEND_COOLDOWN_SECS", "0")]).await;
    app.browser.request_code(PHONE).await;
    let page = app.browser.ask_for_new_code().await;
    assert_eq!(page.redirected_from_post_to.as_deref(), Some("/verify"));
    assert!(
        page.contains("We texted the code again to"),
        "{}",
        page.html
    );
}

#[tokio::test]
async fn a_brand_names_the_pages_and_the_sms_and_error_pages_link_to_help() {
    let mut app = spawn_app_with(&[
        ("TWOFA_BRANDING__NAME", "Acme"),
        ("TWOFA_BRANDING__SUPPORT_URL", "https://acme.example/help"),
    ])
    .await;
    let page = app.browser.get("/").await;
    assert!(
        page.contains("<p class=\"brand\">Acme</p>"),
        "{}",
        page.html
    );
    assert!(page.contains("· Acme</title>"), "{}", page.html);
    app.browser.submit("/request", &[("phone", PHONE)]).await;
    let sms = app.sent_messages().await;
    let text = sms[0]["text"].as_str().unwrap_or_default();
    assert!(
        text.starts_with("Your Acme verification code is "),
        "{text}"
    );
    let page = app.browser.get("/nope").await;
    assert!(
        page.contains("<a href=\"https://acme.example/help\">Get help</a>"),
        "{}",
        page.html
    );
}

#[tokio::test]
async fn without_a_brand_the_pages_say_phone_verification_and_the_sms_names_no_sender() {
    let mut app = spawn_app().await;
    let page = app.browser.get("/").await;
    assert!(
        page.contains("<p class=\"brand\">Phone verification</p>"),
        "{}",
        page.html
    );
    app.browser.submit("/request", &[("phone", PHONE)]).await;
    let sms = app.sent_messages().await;
    let text = sms[0]["text"].as_str().unwrap_or_default();
    assert!(text.starts_with("Your verification code is "), "{text}");
    assert!(!app.browser.get("/nope").await.contains("Get help"));
}

#[tokio::test]
async fn the_used_code_posted_again_is_told_the_number_is_already_verified() {
    let mut app = spawn_app().await;
    app.browser.request_code(PHONE).await;
    let code = app.last_code().await;
    app.browser.enter_code(&code).await;
    let page = app.browser.resubmit(&[]).await;
    assert_styled_page(page, StatusCode::CONFLICT).await;
    assert!(
        page.contains("This number is already verified"),
        "{}",
        page.html
    );
    assert!(page.contains("+1 ••• ••• 0123"), "{}", page.html);
}

#[tokio::test]
async fn a_number_telnyx_cannot_text_is_refused_on_the_phone_form_keeping_what_was_typed() {
    let telnyx = wiremock::MockServer::start().await;
    let refusal = serde_json::json!({"errors": [{
        "code": "40310", "title": "Invalid 'to' address",
        "source": {"pointer": "/to"}
    }]});
    crate::helpers::telnyx_answers(
        &telnyx,
        wiremock::ResponseTemplate::new(422).set_body_json(refusal),
    )
    .await;
    let mut app = crate::helpers::spawn_app_against(telnyx, &[]).await;
    let page = app.browser.request_code("(201) 555-0123").await;
    assert_styled_page(page, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(
        page.contains("send a text message to this number"),
        "{}",
        page.html
    );
    assert!(
        page.contains("value=\"(201) 555-0123\""),
        "what was typed is kept: {}",
        page.html
    );
    assert!(
        page.contains("name=\"phone\""),
        "the phone form: {}",
        page.html
    );
}

#[tokio::test]
async fn a_form_without_its_field_gets_a_422_page() {
    let mut app = spawn_app().await;
    app.browser.get("/").await;
    let page = app.browser.post_with_token("/request", &[]).await;
    assert_styled_page(page, StatusCode::UNPROCESSABLE_ENTITY).await;
    let page = app
        .browser
        .post_with_token("/verify", &[("code", "123456")])
        .await;
    assert_styled_page(page, StatusCode::UNPROCESSABLE_ENTITY).await;
}

#[tokio::test]
async fn a_body_that_is_not_a_form_gets_a_page() {
    let app = spawn_app().await;
    let response = reqwest::Client::new()
        .post(format!("{}/request", app.address))
        .header("content-type", "application/json")
        .body("{\"phone\": \"2015550123\"}")
        .send()
        .await
        .expect("the app answers");
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(response.text().await.unwrap_or_default().contains("<h1>"));
}

#[tokio::test]
async fn assets_are_fingerprinted_and_cached_for_a_year() {
    let mut app = spawn_app().await;
    app.browser.request_code(PHONE).await;
    let document = app.browser.page.as_ref().expect("a page").document();
    let select = |css: &str, attribute: &str| {
        let selector = scraper::Selector::parse(css).expect("selector");
        let element = document.select(&selector).next().expect("the element");
        element
            .value()
            .attr(attribute)
            .expect("the attribute")
            .to_owned()
    };
    for (path, content_type) in [
        (select("link[rel=stylesheet]", "href"), "text/css"),
        (select("script[src]", "src"), "text/javascript"),
    ] {
        let page = app.browser.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(
            page.header("content-type").starts_with(content_type),
            "{path}"
        );
        assert_eq!(
            page.header("cache-control"),
            "public, max-age=31536000, immutable"
        );
    }
    assert_eq!(
        app.browser.get("/static/style.css").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn with_the_console_provider_the_code_is_logged_and_nothing_reaches_telnyx() {
    let mut app = spawn_app_with(&[("TWOFA_SMS__PROVIDER", "console")]).await;
    assert_eq!(app.browser.request_code(PHONE).await.status, StatusCode::OK);
    assert!(app.sent_messages().await.is_empty());
    let logs = captured_logs();
    let line = logs
        .lines()
        .rfind(|l| l.contains("message NOT sent") && l.contains("+12015550123"))
        .expect("the console provider logged the SMS");
    let code = code_in(line);
    assert_eq!(app.browser.enter_code(&code).await.status, StatusCode::OK);
}

/// The attributes of the first element matching `css` on the current page.
fn attributes(page: &crate::helpers::Page, css: &str) -> std::collections::HashMap<String, String> {
    let selector = scraper::Selector::parse(css).expect("selector");
    let document = page.document();
    let element = document
        .select(&selector)
        .next()
        .unwrap_or_else(|| panic!("no {css}"));
    element
        .value()
        .attrs()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

#[tokio::test]
async fn the_phone_field_is_a_labelled_tel_field_with_a_hint_in_the_countrys_format() {
    let mut app = spawn_app().await;
    let page = app.browser.get("/").await;
    let phone = attributes(page, "#phone");
    assert_eq!(phone["type"], "tel");
    assert_eq!(phone["autocomplete"], "tel");
    assert_eq!(phone["aria-describedby"], "phone-hint");
    assert!(
        page.text_of("#phone-hint")
            .is_some_and(|t| t.contains("(201) 555-0123"))
    );
    assert!(page.contains("<label for=\"phone\">"));
    assert!(page.contains("<html lang=\"en\" dir=\"ltr\">"));
    assert_eq!(
        page.document()
            .select(&scraper::Selector::parse("h1").expect("h1"))
            .count(),
        1
    );
}

#[tokio::test]
async fn a_refused_number_is_kept_announced_tied_to_the_field_and_focused() {
    let mut app = spawn_app().await;
    app.browser.get("/").await;
    let page = app
        .browser
        .submit("/request", &[("phone", "(555) 123-4567")])
        .await;
    let phone = attributes(page, "#phone");
    assert_eq!(phone["value"], "(555) 123-4567");
    assert_eq!(phone["aria-invalid"], "true");
    assert_eq!(phone["aria-describedby"], "phone-hint phone-error");
    assert!(phone.contains_key("autofocus"));
    assert_eq!(attributes(page, "#phone-error")["role"], "alert");
}

#[tokio::test]
async fn the_code_field_suits_a_digit_code() {
    let mut app = spawn_app().await;
    let page = app.browser.request_code(PHONE).await;
    let token = attributes(page, "#token");
    assert_eq!(token["autocomplete"], "one-time-code");
    assert_eq!(token["inputmode"], "numeric");
    assert_eq!(token["maxlength"], "6");
    assert_eq!(token["pattern"], "[0-9]{6}");
    assert!(token.contains_key("autofocus"));
    assert!(
        page.text_of("#resend-note")
            .is_some_and(|t| t.contains("in 30 seconds")),
        "{}",
        page.html
    );
    assert_eq!(attributes(page, "#resend-note")["data-cooldown"], "30");
    assert!(page.contains("It works for 10 minutes"));
}

#[tokio::test]
async fn the_forms_leave_checking_to_the_server_which_answers_in_the_pages_language() {
    let mut app = spawn_app().await;
    app.browser
        .headers
        .push(("accept-language".into(), "es".into()));
    let page = app.browser.get("/").await;
    assert!(
        attributes(page, "form[action='/request']").contains_key("novalidate"),
        "{}",
        page.html
    );
    let page = app.browser.submit("/request", &[("phone", "")]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text_of("#phone-error").is_some(), "{}", page.html);
    let page = app.browser.request_code(PHONE).await;
    assert!(
        attributes(page, "form[action='/verify']").contains_key("novalidate"),
        "{}",
        page.html
    );
    let page = app.browser.enter_code("").await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text_of("#token-error").is_some(), "{}", page.html);
}

#[tokio::test]
async fn the_code_field_suits_a_hex_code() {
    let mut app =
        spawn_app_with(&[("TWOFA_OTP__ALPHABET", "hex"), ("TWOFA_OTP__LENGTH", "7")]).await;
    let page = app.browser.request_code(PHONE).await;
    let token = attributes(page, "#token");
    assert_eq!(token["inputmode"], "text");
    assert_eq!(token["autocapitalize"], "characters");
    assert_eq!(token["maxlength"], "7");
    assert_eq!(token["pattern"], "[0-9A-Fa-f]{7}");
}

#[tokio::test]
async fn without_a_cooldown_the_code_page_shows_no_wait() {
    let mut app = spawn_app_with(&[("TWOFA_LIMITS__RESEND_COOLDOWN_SECS", "0")]).await;
    let page = app.browser.request_code(PHONE).await;
    assert!(!attributes(page, "#resend-note").contains_key("data-cooldown"));
}

#[tokio::test]
async fn the_success_page_shows_the_masked_number_and_a_way_to_start_over() {
    let mut app = spawn_app().await;
    app.browser.request_code(PHONE).await;
    let code = app.last_code().await;
    let page = app.browser.enter_code(&code).await;
    assert!(page.contains("+1 ••• ••• 0123"));
    assert!(page.contains("href=\"/\""));
}

#[tokio::test]
async fn the_sms_binds_the_code_to_the_public_url_host() {
    let mut app =
        spawn_app_with(&[("TWOFA_SERVER__PUBLIC_URL", "https://verify.example.com")]).await;
    app.browser.request_code(PHONE).await;
    let code = app.last_code().await;
    let text = app.last_text().await;
    assert!(
        text.ends_with(&format!("\n\n@verify.example.com #{code}")),
        "{text:?}"
    );
}

#[tokio::test]
async fn without_a_public_url_the_sms_has_no_origin_bound_line_whatever_the_host_header() {
    let mut app = spawn_app().await;
    app.browser.headers = vec![("host".into(), "phishing.example".into())];
    app.browser.request_code(PHONE).await;
    let code = app.last_code().await;
    let text = app.last_text().await;
    assert_eq!(text, format!("Your verification code is {code}"));
}

#[tokio::test]
async fn the_host_header_never_reaches_the_sms() {
    let mut app =
        spawn_app_with(&[("TWOFA_SERVER__PUBLIC_URL", "https://verify.example.com")]).await;
    app.browser.headers = vec![("host".into(), "phishing.example".into())];
    app.browser.request_code(PHONE).await;
    let text = app.last_text().await;
    assert!(text.contains("@verify.example.com #"), "{text:?}");
    assert!(!text.contains("phishing"), "{text:?}");
}

#[tokio::test]
async fn the_origin_bound_line_can_be_turned_off() {
    let mut app = spawn_app_with(&[("TWOFA_OTP__WEBOTP", "false")]).await;
    app.browser.request_code(PHONE).await;
    let code = app.last_code().await;
    let text = app.last_text().await;
    assert_eq!(text, format!("Your verification code is {code}"));
}
