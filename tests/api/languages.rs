//! Languages: chosen from the browser's `Accept-Language`, the switcher
//! (without JavaScript) and the app's default; every page and the SMS in it.

use reqwest::StatusCode;

use crate::helpers::{
    Browser, PHONE, TestApp, languages_in_locales, spawn_app, spawn_app_with, wrong_code,
};

/// `lang` and `dir` of a page's `<html>`.
fn lang_and_dir(page: &crate::helpers::Page) -> (String, String) {
    let document = page.document();
    let selector = scraper::Selector::parse("html").expect("a selector");
    let html = document.select(&selector).next().expect("an html element");
    let attribute = |name| html.value().attr(name).unwrap_or_default().to_owned();
    (attribute("lang"), attribute("dir"))
}

/// The words of a text: runs of letters (apostrophes kept), lower-cased.
fn words_of(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphabetic() && c != '\'' && c != '’')
        .map(|w| w.trim_matches(|c| c == '\'' || c == '’'))
        .filter(|w| w.chars().count() >= 2)
        .map(str::to_lowercase)
        .collect()
}

/// `locales/<tag>.ftl`.
fn locale_file(tag: &str) -> String {
    let path = format!("{}/locales/{tag}.ftl", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).expect("a locale file")
}

/// The one-line message `id` of `locales/<tag>.ftl`.
fn message_of(tag: &str, id: &str) -> String {
    let prefix = format!("{id} =");
    locale_file(tag)
        .lines()
        .find_map(|l| Some(l.strip_prefix(&prefix)?.trim().to_owned()))
        .unwrap_or_default()
}

/// The text of `locales/<tag>.ftl`'s messages: no comments, ids,
/// placeables, variant keys or markup.
fn message_text(tag: &str) -> String {
    let source = locale_file(tag);
    let mut text = String::new();
    for line in source.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let value = match line.split_once('=') {
            Some((id, value))
                if !id.trim().is_empty()
                    && id
                        .trim()
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-') =>
            {
                value
            }
            _ => line,
        };
        // Per line: a selector's `{ $count ->` opens a brace its variants'
        // lines do not see.
        let mut depth: i32 = 0;
        let mut in_tag = false;
        let mut in_key = false;
        for c in value.chars() {
            match c {
                '{' => depth += 1,
                '}' => depth = (depth - 1).max(0),
                '<' if depth == 0 => in_tag = true,
                '>' if in_tag => in_tag = false,
                '[' if depth == 0 => in_key = true,
                ']' if in_key => in_key = false,
                _ if depth > 0 || in_tag || in_key => {}
                c => text.push(c),
            }
        }
        text.push('\n');
    }
    text
}

/// The words of English's messages that no message of `tag` uses, and that
/// no language's name holds (the switcher names each language in itself):
/// a page or an SMS in `tag` that shows one has English on it.
pub fn english_only_words(tag: &str) -> std::collections::BTreeSet<String> {
    let theirs: std::collections::BTreeSet<String> =
        words_of(&message_text(tag)).into_iter().collect();
    let names: Vec<String> = crate::helpers::languages_in_locales()
        .iter()
        .flat_map(|tag| {
            let name = message_of(tag, "language-name");
            words_of(&name)
        })
        .collect();
    words_of(&message_text("en"))
        .into_iter()
        .filter(|w| !theirs.contains(w) && !names.contains(w))
        .collect()
}

/// The words a person reads on a page, or hears from a screen reader: its
/// text and title, its buttons' and fields' labels and tooltips, and the
/// sentences its script puts in (its `data-` messages).
fn visible_words(page: &crate::helpers::Page) -> Vec<String> {
    let document = page.document();
    let body = scraper::Selector::parse("body, title").expect("a selector");
    let every = scraper::Selector::parse("*").expect("a selector");
    let mut text: String = document
        .select(&body)
        .flat_map(|e| e.text())
        .collect::<Vec<_>>()
        .join(" ");
    // Machine values, not words: the delivery's state, a path, a count.
    const NOT_WORDS: &[&str] = &["data-delivery", "data-poll", "data-cooldown"];
    for element in document.select(&every) {
        for (name, value) in element.value().attrs() {
            let read = matches!(name, "title" | "aria-label" | "placeholder" | "alt")
                || (name.starts_with("data-") && !NOT_WORDS.contains(&name));
            if read {
                text.push(' ');
                text.push_str(value);
            }
        }
    }
    words_of(&text)
}

/// Fails if `page`, in the language `tag`, shows a word only English uses
/// (other than those of `names`: a website's name is its own).
pub fn assert_no_english(page: &crate::helpers::Page, tag: &str, names: &[&str]) {
    let english_only = english_only_words(tag);
    let allowed: Vec<String> = names.iter().flat_map(|n| words_of(n)).collect();
    let english: Vec<String> = visible_words(page)
        .into_iter()
        .filter(|w| english_only.contains(w) && !allowed.contains(w))
        .collect();
    assert!(
        english.is_empty(),
        "{tag}: English words {english:?} in\n{}",
        page.html
    );
}

/// Fails if the SMS `text`, in the language `tag`, has a word only English
/// uses.
pub fn assert_no_english_in_sms(text: &str, tag: &str) {
    let english_only = english_only_words(tag);
    let english: Vec<String> = words_of(text)
        .into_iter()
        .filter(|w| english_only.contains(w))
        .collect();
    assert!(
        english.is_empty(),
        "{tag}: English words {english:?} in the SMS {text:?}"
    );
}

#[tokio::test]
async fn the_english_word_check_finds_english_on_a_page_and_in_an_sms() {
    let app = spawn_app().await;
    let mut browser = browser_preferring(&app, "en");
    let page = browser.request_code(PHONE).await.clone();
    for tag in languages_in_locales().iter().filter(|t| *t != "en") {
        let found = std::panic::catch_unwind(|| assert_no_english(&page, tag, &[]));
        assert!(found.is_err(), "{tag}: the English code page passed");
        let sms = app.last_text().await;
        let found = std::panic::catch_unwind(|| assert_no_english_in_sms(&sms, tag));
        assert!(found.is_err(), "{tag}: the English SMS passed");
    }
    for word in [
        "your", "code", "verify", "wait", "sending", "language", "tries",
    ] {
        assert!(english_only_words("es").contains(word), "{word}");
    }
}

/// A browser whose person prefers `accept_language`.
fn browser_preferring(app: &TestApp, accept_language: &str) -> Browser {
    let mut browser = app.new_browser();
    browser
        .headers
        .push(("accept-language".into(), accept_language.into()));
    browser
}

#[tokio::test]
async fn a_person_whose_browser_prefers_spanish_or_arabic_goes_through_the_whole_flow_sms_included_without_an_english_word()
 {
    for (accept, tag, dir) in [
        ("es-MX,es;q=0.9,en;q=0.5", "es", "ltr"),
        ("ar-EG,ar;q=0.9", "ar", "rtl"),
    ] {
        let app = spawn_app().await;
        let mut browser = browser_preferring(&app, accept);
        let page = browser.get("/").await;
        assert_eq!(lang_and_dir(page), (tag.into(), dir.into()));
        assert_eq!(page.header("content-language"), tag);
        assert_no_english(page, tag, &[]);
        let page = browser.submit("/request", &[("phone", "12")]).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_no_english(page, tag, &[]);
        let page = browser.submit("/request", &[("phone", PHONE)]).await;
        assert_eq!(page.redirected_from_post_to.as_deref(), Some("/verify"));
        assert_eq!(lang_and_dir(page), (tag.into(), dir.into()));
        assert_no_english(page, tag, &[]);
        // The number reads left to right inside any sentence.
        assert!(
            page.contains("\u{2066}+1 ••• ••• 0123\u{2069}"),
            "{}",
            page.html
        );
        let sms = app.last_text().await;
        assert_no_english_in_sms(&sms, tag);
        let first_line = sms.lines().next().unwrap_or_default();
        let code: String = first_line.chars().filter(char::is_ascii_digit).collect();
        assert_eq!(code.len(), 6, "{tag}: {sms}");
        let page = browser.enter_code(&wrong_code(&code)).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_no_english(page, tag, &[]);
        let page = browser.ask_for_new_code().await;
        assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS, "the cooldown");
        assert_no_english(page, tag, &[]);
        let page = browser.get("/verify").await;
        assert_no_english(page, tag, &[]);
        let page = browser.enter_code(&code).await;
        assert_eq!(page.redirected_from_post_to.as_deref(), Some("/verified"));
        assert_eq!(lang_and_dir(page), (tag.into(), dir.into()));
        assert_no_english(page, tag, &[]);
        let page = browser.resubmit(&[]).await;
        assert_eq!(page.status, StatusCode::CONFLICT);
        assert_no_english(page, tag, &[]);
        let page = browser.get("/nothing-here").await;
        assert_eq!(page.status, StatusCode::NOT_FOUND);
        assert_no_english(page, tag, &[]);
    }
}

/// The direction `locales/<tag>.ftl` lays its pages out in.
fn direction_of(tag: &str) -> String {
    message_of(tag, "language-direction")
}

#[tokio::test]
async fn every_language_renders_every_page_with_its_lang_and_dir() {
    for tag in crate::helpers::languages_in_locales() {
        let dir = direction_of(&tag);
        assert!(dir == "ltr" || dir == "rtl", "{tag}: {dir:?}");
        let telnyx = wiremock::MockServer::start().await;
        wiremock::Mock::given(wiremock::matchers::method("POST"))
            .and(wiremock::matchers::body_partial_json(
                serde_json::json!({ "to": "+12015550177" }),
            ))
            .respond_with(wiremock::ResponseTemplate::new(401).set_body_json(
                crate::helpers::telnyx_error("10009", "Authentication failed"),
            ))
            .with_priority(1)
            .mount(&telnyx)
            .await;
        crate::helpers::telnyx_accepts(&telnyx).await;
        let app = crate::helpers::spawn_app_against(telnyx, &[]).await;
        let mut browser = browser_preferring(&app, &tag);
        let mut pages: Vec<(&str, crate::helpers::Page)> = vec![];
        let mut keep = |name, page: &crate::helpers::Page| pages.push((name, page.clone()));
        keep("phone form", browser.get("/").await);
        keep(
            "refused number",
            browser.submit("/request", &[("phone", "x")]).await,
        );
        keep("405", browser.get("/request").await);
        keep(
            "403",
            browser
                .post_form("/request", &[("csrf", "forged"), ("phone", PHONE)])
                .await,
        );
        browser.get("/").await;
        let huge = "1".repeat(20_000);
        keep(
            "413",
            browser
                .submit("/request", &[("phone", huge.as_str())])
                .await,
        );
        keep("502", browser.request_code("+1 201 555 0177").await);
        keep("code page", browser.request_code(PHONE).await);
        let code = app.last_code().await;
        keep("wrong code", browser.enter_code(&wrong_code(&code)).await);
        keep("cooldown", browser.ask_for_new_code().await);
        keep("verified", browser.enter_code(&code).await);
        keep("already verified", browser.resubmit(&[]).await);
        keep("404", browser.get("/nope").await);
        let mut other = browser_preferring(&app, &tag);
        keep("429 on the phone form", other.request_code(PHONE).await);
        let mut guesser = browser_preferring(&app, &tag);
        guesser.request_code("+1 201 555 0188").await;
        let code = app.last_code().await;
        for _ in 0..4 {
            guesser.enter_code(&wrong_code(&code)).await;
        }
        keep("locked", guesser.enter_code(&wrong_code(&code)).await);
        let mut late = browser_preferring(&app, &tag);
        late.request_code("+1 201 555 0199").await;
        let code = app.last_code().await;
        app.clock.advance(std::time::Duration::from_secs(601));
        keep("410 expired", late.enter_code(&code).await);
        for (name, page) in &pages {
            assert_eq!(
                lang_and_dir(page),
                (tag.clone(), dir.clone()),
                "{tag}: {name} ({})",
                page.status
            );
            assert_eq!(page.header("content-language"), tag, "{tag}: {name}");
            if tag != "en" {
                assert_no_english(page, &tag, &[]);
            }
        }
        let statuses: Vec<(&str, u16)> =
            pages.iter().map(|(n, p)| (*n, p.status.as_u16())).collect();
        let expected = [
            ("phone form", 200),
            ("refused number", 422),
            ("405", 405),
            ("403", 403),
            ("413", 413),
            ("502", 502),
            ("code page", 200),
            ("wrong code", 422),
            ("cooldown", 429),
            ("verified", 200),
            ("already verified", 409),
            ("404", 404),
            ("429 on the phone form", 429),
            ("locked", 429),
            ("410 expired", 410),
        ];
        assert_eq!(statuses, expected, "{tag}");
    }
}

#[tokio::test]
async fn q_values_and_fallbacks_choose_the_language_and_an_unknown_one_gets_the_default() {
    let app = spawn_app().await;
    for (accept, tag) in [
        ("en;q=0.4, fr-CA;q=0.8", "fr"),
        ("pt", "pt-BR"),
        ("pt-PT,en;q=0.5", "pt-BR"),
        ("de-AT", "de"),
        ("it, ja;q=0.9", "en"),
        ("es;q=0, de;q=0.1", "de"),
        ("*", "en"),
    ] {
        let mut browser = browser_preferring(&app, accept);
        let page = browser.get("/").await;
        assert_eq!(lang_and_dir(page).0, tag, "{accept}");
    }
}

#[tokio::test]
async fn the_switcher_works_without_javascript_is_remembered_and_beats_the_browser() {
    let app = spawn_app().await;
    let mut browser = browser_preferring(&app, "es");
    let page = browser.get("/").await;
    let links: Vec<String> = {
        let document = page.document();
        let selector = scraper::Selector::parse("nav.languages a").expect("a selector");
        document
            .select(&selector)
            .map(|a| a.value().attr("href").unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(links.len(), languages_in_locales().len(), "{}", page.html);
    assert!(
        links.contains(&"/language/fr?back=/".to_owned()),
        "{links:?}"
    );
    assert!(
        page.contains(r#"lang="es" hreflang="es" aria-current="true">Español</a>"#),
        "{}",
        page.html
    );
    let page = browser.get("/language/fr?back=/").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.header("location"), "/");
    let page = browser.get("/").await;
    assert_eq!(lang_and_dir(page).0, "fr");
    // It survives asking for a code, and the SMS is in it too.
    browser.submit("/request", &[("phone", PHONE)]).await;
    let page = browser.get("/verify").await;
    assert_eq!(lang_and_dir(page).0, "fr");
    assert!(
        app.last_text().await.starts_with("Votre code"),
        "{}",
        app.last_text().await
    );
    assert!(page.contains("/language/de?back=/verify"), "{}", page.html);
}

#[tokio::test]
async fn the_switcher_goes_back_only_to_our_own_pages_and_only_to_languages_offered() {
    let app = spawn_app_with(&[("TWOFA_I18N__LANGUAGES", "en,es")]).await;
    let mut browser = app.new_browser();
    for back in [
        "https://evil.example/",
        "//evil.example",
        "/verify/../x",
        "javascript:alert(1)",
    ] {
        let page = browser
            .get(&format!("/language/es?back={}", urlencode(back)))
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{back}");
        assert_eq!(page.header("location"), "/", "{back}");
    }
    assert_eq!(
        browser.get("/language/fr?back=/").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        browser.get("/language/xx").await.status,
        StatusCode::NOT_FOUND
    );
    let page = browser.get("/").await;
    assert_eq!(lang_and_dir(page).0, "es", "the earlier pick stands");
    let count = page
        .document()
        .select(&scraper::Selector::parse("nav.languages a").expect("a selector"))
        .count();
    assert_eq!(count, 2);
    // Only the languages offered are chosen from the browser's too.
    let mut french = browser_preferring(&app, "fr, de;q=0.5");
    assert_eq!(lang_and_dir(french.get("/").await).0, "en");
}

fn urlencode(text: &str) -> String {
    serde_urlencoded::to_string([("", text)]).expect("encodable")[1..].to_owned()
}

#[tokio::test]
async fn the_default_language_is_spoken_when_the_browser_asks_for_none_we_speak() {
    let app = spawn_app_with(&[("TWOFA_I18N__DEFAULT_LANGUAGE", "de")]).await;
    let mut browser = app.new_browser();
    assert_eq!(lang_and_dir(browser.get("/").await).0, "de");
    let mut italian = browser_preferring(&app, "it");
    assert_eq!(lang_and_dir(italian.get("/").await).0, "de");
    let mut only_one = spawn_app_with(&[("TWOFA_I18N__LANGUAGES", "en")]).await;
    let page = only_one.browser.get("/").await;
    assert!(
        !page.contains("nav class=\"languages\""),
        "no switcher for one language"
    );
}
