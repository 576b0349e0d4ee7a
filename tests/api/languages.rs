//! Languages: chosen from the browser's `Accept-Language`, the switcher
//! (without JavaScript) and the app's default; every page and the SMS in it.

use reqwest::StatusCode;

use crate::helpers::{Browser, PHONE, TestApp, spawn_app, spawn_app_with, wrong_code};

/// `lang` and `dir` of a page's `<html>`.
fn lang_and_dir(page: &crate::helpers::Page) -> (String, String) {
    let document = page.document();
    let selector = scraper::Selector::parse("html").expect("a selector");
    let html = document.select(&selector).next().expect("an html element");
    let attribute = |name| html.value().attr(name).unwrap_or_default().to_owned();
    (attribute("lang"), attribute("dir"))
}

/// The words a person reads on a page: its text and its buttons' labels,
/// its fields' tooltips and its title.
fn visible_words(page: &crate::helpers::Page) -> Vec<String> {
    let document = page.document();
    let body = scraper::Selector::parse("body, title").expect("a selector");
    let titled = scraper::Selector::parse("[title]").expect("a selector");
    let mut text: String = document
        .select(&body)
        .flat_map(|e| e.text())
        .collect::<Vec<_>>()
        .join(" ");
    for element in document.select(&titled) {
        text.push(' ');
        text.push_str(element.value().attr("title").unwrap_or_default());
    }
    text.split(|c: char| !c.is_alphabetic() && c != '\'')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// English words any English page of the flow has; none is a word of the
/// other languages' pages.
const ENGLISH: &[&str] = &[
    "the", "your", "you", "code", "number", "verify", "enter", "send", "phone", "text", "again",
    "seconds", "minutes", "didn't", "we", "new", "try", "left", "isn't", "right", "it",
];

fn assert_no_english(page: &crate::helpers::Page, tag: &str) {
    let english: Vec<String> = visible_words(page)
        .into_iter()
        .filter(|w| ENGLISH.contains(&w.as_str()))
        .collect();
    // The language switcher names English in English, as it should.
    let english: Vec<&String> = english.iter().filter(|w| *w != "english").collect();
    assert!(
        english.is_empty(),
        "{tag}: English words {english:?} in\n{}",
        page.html
    );
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
        assert_no_english(page, tag);
        let page = browser.submit("/request", &[("phone", "12")]).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_no_english(page, tag);
        let page = browser.submit("/request", &[("phone", PHONE)]).await;
        assert_eq!(page.redirected_from_post_to.as_deref(), Some("/verify"));
        assert_eq!(lang_and_dir(page), (tag.into(), dir.into()));
        assert_no_english(page, tag);
        // The number reads left to right inside any sentence.
        assert!(
            page.contains("\u{2066}+1 ••• ••• 0123\u{2069}"),
            "{}",
            page.html
        );
        let sms = app.last_text().await;
        let first_line = sms.lines().next().unwrap_or_default();
        assert!(!first_line.contains("code is"), "{tag}: {sms}");
        let code: String = first_line.chars().filter(char::is_ascii_digit).collect();
        assert_eq!(code.len(), 6, "{tag}: {sms}");
        let page = browser.enter_code(&wrong_code(&code)).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_no_english(page, tag);
        let page = browser.ask_for_new_code().await;
        assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS, "the cooldown");
        assert_no_english(page, tag);
        let page = browser.get("/verify").await;
        assert_no_english(page, tag);
        let page = browser.enter_code(&code).await;
        assert_eq!(page.redirected_from_post_to.as_deref(), Some("/verified"));
        assert_eq!(lang_and_dir(page), (tag.into(), dir.into()));
        assert_no_english(page, tag);
        let page = browser.resubmit(&[]).await;
        assert_eq!(page.status, StatusCode::CONFLICT);
        assert_no_english(page, tag);
        let page = browser.get("/nothing-here").await;
        assert_eq!(page.status, StatusCode::NOT_FOUND);
        assert_no_english(page, tag);
    }
}

#[tokio::test]
async fn every_language_renders_every_page_with_its_lang_and_dir() {
    for (tag, dir) in [
        ("en", "ltr"),
        ("es", "ltr"),
        ("fr", "ltr"),
        ("de", "ltr"),
        ("pt-BR", "ltr"),
        ("ar", "rtl"),
    ] {
        let app = spawn_app().await;
        let mut browser = browser_preferring(&app, tag);
        let mut pages = vec![("phone form", browser.get("/").await.html.clone())];
        let refused = browser.submit("/request", &[("phone", "x")]).await;
        pages.push(("refused number", refused.html.clone()));
        let code_page = browser.submit("/request", &[("phone", PHONE)]).await;
        pages.push(("code page", code_page.html.clone()));
        let code = app.last_text().await;
        let code: String = code
            .lines()
            .next()
            .unwrap_or_default()
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        pages.push((
            "wrong code",
            browser.enter_code(&wrong_code(&code)).await.html.clone(),
        ));
        pages.push(("cooldown", browser.ask_for_new_code().await.html.clone()));
        pages.push(("verified", browser.enter_code(&code).await.html.clone()));
        pages.push(("already verified", browser.resubmit(&[]).await.html.clone()));
        pages.push(("not found", browser.get("/nope").await.html.clone()));
        for (name, html) in pages {
            let page = crate::helpers::Page {
                status: StatusCode::OK,
                headers: Default::default(),
                html,
                redirected_from_post_to: None,
            };
            assert_eq!(
                lang_and_dir(&page),
                (tag.into(), dir.into()),
                "{tag}: {name}"
            );
        }
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
    assert_eq!(links.len(), 6, "{}", page.html);
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
