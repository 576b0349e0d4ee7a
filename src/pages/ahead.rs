//! Pages rendered ahead: once per language (the code page once per shape
//! as well), with marks where a request's own values go, then cut at the
//! marks. Answering one copies its pieces with the request's values
//! between them, where rendering it made a dozen messages and escaped a
//! dozen values: a wrong code's page was a sixth of the request, a new
//! visitor's phone form a fifth. Each is made when the first request in
//! its language asks for it, so a language no one speaks costs nothing.
//!
//! A page whose parts are not all covered (a sign-in under way, something
//! typed, a notice, a wait before resending, a switcher other than the one
//! it was rendered with) is rendered per request, as before; the tests
//! below compare the two byte for byte.

use std::sync::{Arc, OnceLock};

use askama::Template;
use askama::filters::{Escaper, Html};
use axum::response::Response;

use super::{CodeFormPage, PhoneFormPage, ProblemPage, html_response};
use crate::i18n::{self, Language, Languages};
use crate::verification::Delivery;

/// Where a request's value goes in a page rendered ahead.
trait Hole: Copy + Eq + 'static {
    const ALL: &'static [Self];

    /// Letters and digits only, so no escaping changes it, and no message
    /// or setting of ours holds it.
    fn mark(self) -> &'static str;
}

/// A page rendered ahead, cut at its holes.
#[derive(Debug)]
struct Cut<H> {
    /// The language switcher it was rendered with.
    switcher: Arc<str>,
    /// The page's text, each piece with the hole that follows it (none
    /// after the last).
    pieces: Vec<(String, Option<H>)>,
}

impl<H: Hole> Cut<H> {
    /// `html` cut at its marks, if each hole is there `holes(hole)`
    /// times: a mark anywhere else (an operator's brand name holding one)
    /// would put a request's value there, so such a page is rendered per
    /// request.
    fn new(html: &str, switcher: Arc<str>, holes: impl Fn(H) -> usize) -> Option<Self> {
        let mut pieces = Vec::new();
        let mut rest = html;
        while let Some((at, hole)) = H::ALL
            .iter()
            .filter_map(|&hole| Some((rest.find(hole.mark())?, hole)))
            .min_by_key(|&(at, _)| at)
        {
            pieces.push((rest[..at].to_owned(), Some(hole)));
            rest = &rest[at + hole.mark().len()..];
        }
        pieces.push((rest.to_owned(), None));
        let found = |hole| pieces.iter().filter(|(_, h)| *h == Some(hole)).count();
        H::ALL
            .iter()
            .all(|&hole| found(hole) == holes(hole))
            .then_some(Self { switcher, pieces })
    }

    /// Whether it was rendered with the current page's switcher.
    fn fits_this_page(&self) -> bool {
        self.switcher == i18n::switcher()
    }

    /// The page with `value(hole)`, HTML, in each hole.
    fn fill<'v>(&self, value: impl Fn(H) -> &'v str) -> Response {
        let length = self
            .pieces
            .iter()
            .map(|(text, hole)| text.len() + hole.map_or(0, |hole| value(hole).len()));
        let mut html = String::with_capacity(length.sum());
        for (text, hole) in &self.pieces {
            html.push_str(text);
            if let Some(hole) = *hole {
                html.push_str(value(hole));
            }
        }
        html_response(html)
    }
}

/// `text` escaped as the templates escape it.
fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    // Writing to a `String` cannot fail.
    let _ = Html.write_escaped_str(&mut out, text);
    out
}

/// A CSRF token of ours (base64url, from a sealed cookie): it is the same
/// escaped. Anything else is rendered.
fn is_token(text: &str) -> bool {
    text.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The cells of one page per language offered, each rendered the first
/// time it is asked for, so a language no one speaks costs nothing.
#[derive(Debug)]
struct PerLanguage<T, const N: usize> {
    cells: Vec<(Language, [OnceLock<Option<T>>; N])>,
}

/// None: every page rendered per request (a kit made outside an app).
impl<T, const N: usize> Default for PerLanguage<T, N> {
    fn default() -> Self {
        Self { cells: Vec::new() }
    }
}

impl<T, const N: usize> PerLanguage<T, N> {
    fn new(languages: &Languages) -> Self {
        let cells = languages.offered().iter();
        Self {
            cells: cells
                .map(|&language| (language, std::array::from_fn(|_| OnceLock::new())))
                .collect(),
        }
    }

    /// Cell `index` of the current page's language, made by `render` if
    /// it is the first time.
    fn get(&self, index: usize, render: impl FnOnce() -> Option<T>) -> Option<&T> {
        let language = i18n::current();
        let (_, cells) = self.cells.iter().find(|(l, _)| *l == language)?;
        cells.get(index)?.get_or_init(render).as_ref()
    }
}

/// What `CodeFormPage::lead` gives when the page is rendered ahead.
pub(super) const LEAD_MARK: &str = "LeadGoesHere0x7f3b";

/// Where a request's value goes in a form page: the phone form has only
/// the token; the code page has all three.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FormHole {
    Csrf,
    Lead,
    Error,
}

impl Hole for FormHole {
    const ALL: &'static [Self] = &[FormHole::Csrf, FormHole::Lead, FormHole::Error];

    fn mark(self) -> &'static str {
        match self {
            FormHole::Csrf => "CsrfTokenGoesHere0x7f3b",
            FormHole::Lead => LEAD_MARK,
            FormHole::Error => "ErrorGoesHere0x7f3b",
        }
    }
}

/// The phone form as a new visitor sees it at `GET /`, with the example
/// number it was rendered with.
#[derive(Debug)]
struct RenderedPhoneForm {
    cut: Cut<FormHole>,
    example: String,
}

/// The phone form with nothing typed, no error and no sign-in under way:
/// every new visitor's first page.
#[derive(Debug, Default)]
pub(super) struct PhoneFormsAhead(PerLanguage<RenderedPhoneForm, 1>);

impl PhoneFormsAhead {
    pub(super) fn new(languages: &Languages) -> Self {
        Self(PerLanguage::new(languages))
    }

    /// `page` from its pieces, if it has only the parts they cover.
    pub(super) fn answer(&self, page: &PhoneFormPage) -> Option<Response> {
        let covered = page.client.is_none()
            && page.form_target.is_none()
            && page.typed.is_empty()
            && page.error.is_none()
            && is_token(&page.csrf);
        if !covered {
            return None;
        }
        let ahead = self.0.get(0, || {
            let marked = PhoneFormPage {
                csrf: FormHole::Csrf.mark().to_owned(),
                example: page.example.clone(),
                client: None,
                form_target: None,
                typed: String::new(),
                error: None,
            };
            let cut = Cut::new(&marked.render().ok()?, i18n::switcher(), |hole| {
                usize::from(hole == FormHole::Csrf)
            })?;
            Some(RenderedPhoneForm {
                cut,
                example: marked.example,
            })
        })?;
        if !(ahead.example == page.example && ahead.cut.fits_this_page()) {
            return None;
        }
        Some(ahead.cut.fill(|hole| match hole {
            FormHole::Csrf => &page.csrf,
            // Not in this page: its cut counted none.
            FormHole::Lead | FormHole::Error => "",
        }))
    }
}

/// What a code page's pieces depend on besides its language and the code's
/// format: delivery (4) × watching it (2) × an error or not (2).
const CODE_SHAPES: usize = 16;

fn code_shape(page: &CodeFormPage) -> usize {
    let delivery = match page.delivery {
        Delivery::Unknown => 0,
        Delivery::Sent => 1,
        Delivery::Delivered => 2,
        Delivery::Failed => 3,
    };
    delivery * 4 + usize::from(page.watch_delivery) * 2 + usize::from(page.error.is_some())
}

/// A code page rendered ahead, with the code format it was rendered for.
#[derive(Debug)]
struct RenderedCodePage {
    cut: Cut<FormHole>,
    code_length: usize,
    numeric: bool,
    pattern: String,
}

/// The code page: after a send, and above all when a typed code was
/// wrong, which a flood of guesses asks for over and over.
#[derive(Debug, Default)]
pub(super) struct CodeFormsAhead(PerLanguage<RenderedCodePage, CODE_SHAPES>);

impl CodeFormsAhead {
    pub(super) fn new(languages: &Languages) -> Self {
        Self(PerLanguage::new(languages))
    }

    /// `page` from its pieces, if it has only the parts they cover.
    pub(super) fn answer(&self, page: &CodeFormPage) -> Option<Response> {
        let covered = page.client.is_none()
            && page.form_target.is_none()
            && page.notice.is_none()
            && page.resend_error.is_none()
            && page.resend_wait_secs.is_none()
            && is_token(&page.csrf);
        if !covered {
            return None;
        }
        let ahead = self.0.get(code_shape(page), || render_code_form(page))?;
        let same_format = ahead.code_length == page.code_length
            && ahead.numeric == page.numeric
            && ahead.pattern == page.pattern;
        if !(same_format && ahead.cut.fits_this_page()) {
            return None;
        }
        let lead = page.lead();
        let error = page.error.as_deref().map(escaped).unwrap_or_default();
        Some(ahead.cut.fill(|hole| match hole {
            FormHole::Csrf => &page.csrf,
            FormHole::Lead => &lead,
            FormHole::Error => &error,
        }))
    }
}

/// A page of `page`'s shape and format, with marks for its holes.
fn render_code_form(page: &CodeFormPage) -> Option<RenderedCodePage> {
    let marked = CodeFormPage {
        csrf: FormHole::Csrf.mark().to_owned(),
        error: page
            .error
            .as_ref()
            .map(|_| FormHole::Error.mark().to_owned()),
        lead_is_marked: true,
        client: None,
        form_target: None,
        notice: None,
        resend_error: None,
        resend_wait_secs: None,
        masked_phone: String::new(),
        pattern: page.pattern.clone(),
        ..*page
    };
    let html = marked.render().ok()?;
    Some(RenderedCodePage {
        cut: Cut::new(&html, i18n::switcher(), |hole| match hole {
            // In the form and in the resend form.
            FormHole::Csrf => 2,
            FormHole::Lead => 1,
            FormHole::Error => usize::from(page.error.is_some()),
        })?,
        code_length: page.code_length,
        numeric: page.numeric,
        pattern: marked.pattern,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ProblemHole {
    Title,
    Message,
}

impl Hole for ProblemHole {
    const ALL: &'static [Self] = &[ProblemHole::Title, ProblemHole::Message];

    fn mark(self) -> &'static str {
        match self {
            ProblemHole::Title => "TitleGoesHere0x7f3b",
            ProblemHole::Message => "MessageGoesHere0x7f3b",
        }
    }
}

/// The page of every error that is not a form to fix: a refused flood's
/// answer.
#[derive(Debug, Default)]
pub(super) struct ProblemsAhead(PerLanguage<Cut<ProblemHole>, 1>);

impl ProblemsAhead {
    pub(super) fn new(languages: &Languages) -> Self {
        Self(PerLanguage::new(languages))
    }

    pub(super) fn answer(&self, page: &ProblemPage) -> Option<Response> {
        let cut = self.0.get(0, || {
            let marked = ProblemPage {
                title: ProblemHole::Title.mark().into(),
                message_html: ProblemHole::Message.mark().into(),
            };
            Cut::new(
                &marked.render().ok()?,
                i18n::switcher(),
                |hole| match hole {
                    // In the page's title and its heading.
                    ProblemHole::Title => 2,
                    ProblemHole::Message => 1,
                },
            )
        })?;
        if !cut.fits_this_page() {
            return None;
        }
        let title = escaped(&page.title);
        Some(cut.fill(|hole| match hole {
            ProblemHole::Title => &title,
            ProblemHole::Message => &page.message_html,
        }))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::otp::{Alphabet, CodeFormat};
    use crate::pages::{Branding, FormTarget, PageKit, branded, with_form_target};
    use crate::phone::{CountryPolicy, DefaultCountry, PhoneNumber, PhoneRules};
    use crate::session::Session;

    async fn body(response: Response) -> String {
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("a body in memory");
        String::from_utf8(bytes.to_vec()).expect("UTF-8")
    }

    fn kit(languages: &Languages) -> Arc<PageKit> {
        let branding = Branding {
            name: Some("Acme <Shop> & \"Co\"".into()),
            support_url: Some(
                "https://acme.example/help?a=1&b='2'"
                    .parse()
                    .expect("a URL"),
            ),
        };
        Arc::new(PageKit::new(Arc::new(branding), languages))
    }

    const DIGITS: CodeFormat = CodeFormat {
        alphabet: Alphabet::Digits,
        length: 6,
    };

    fn code_page(phone: &str, format: CodeFormat) -> CodeFormPage {
        let default: DefaultCountry = "+1".parse().expect("+1");
        let phone = PhoneNumber::parse(phone, &default).expect("a number");
        CodeFormPage::new(&Session::new(), &phone, Duration::from_secs(600), format)
    }

    /// `page` from its pieces (if they cover it), and rendered, in
    /// `language` on the page at `here`.
    async fn both(
        kit: &Arc<PageKit>,
        languages: &Languages,
        language: Language,
        here: &str,
        page: CodeFormPage,
    ) -> (Option<String>, String) {
        let speaking = languages.page(language, here);
        let (fast, rendered) = branded(
            kit.clone(),
            i18n::speaking(speaking, async {
                let fast = kit.code_forms.answer(&page);
                (fast, with_form_target(&page, page.form_target.as_ref()))
            }),
        )
        .await;
        let fast = match fast {
            Some(fast) => Some(body(fast).await),
            None => None,
        };
        (fast, body(rendered).await)
    }

    fn phone_form() -> PhoneFormPage {
        let rules = PhoneRules {
            default_country: "+44".parse().expect("+44"),
            countries: CountryPolicy::parse(&["GB".into()]).expect("GB"),
        };
        PhoneFormPage::new(&Session::new(), &rules)
    }

    /// `page` from its pieces (if they cover it), and rendered, in
    /// `language` on the page at `here`.
    async fn both_phone_forms(
        kit: &Arc<PageKit>,
        languages: &Languages,
        language: Language,
        here: &str,
        page: PhoneFormPage,
    ) -> (Option<String>, String) {
        let (fast, rendered) = branded(
            kit.clone(),
            i18n::speaking(languages.page(language, here), async {
                let fast = kit.phone_forms.answer(&page);
                (fast, with_form_target(&page, page.form_target.as_ref()))
            }),
        )
        .await;
        let fast = match fast {
            Some(fast) => Some(body(fast).await),
            None => None,
        };
        (fast, body(rendered).await)
    }

    #[tokio::test]
    async fn every_new_visitors_phone_form_from_its_pieces_is_byte_for_byte_the_one_rendered() {
        let languages = Languages::default();
        let kit = kit(&languages);
        for &language in languages.offered() {
            // Twice, with other tokens: the pieces keep none of the first.
            for _ in 0..2 {
                let page = phone_form();
                let csrf = page.csrf.clone();
                let (fast, rendered) =
                    both_phone_forms(&kit, &languages, language, "/", page).await;
                assert_eq!(fast.as_deref(), Some(rendered.as_str()), "{language:?}");
                assert!(rendered.contains(&csrf));
            }
            // Made with `/`'s switcher: another page's is rendered.
            let (fast, _) =
                both_phone_forms(&kit, &languages, language, "/verify", phone_form()).await;
            assert!(fast.is_none(), "{language:?}");
        }
    }

    #[tokio::test]
    async fn a_phone_form_with_parts_its_pieces_do_not_cover_is_rendered_per_request() {
        let languages = Languages::default();
        let kit = kit(&languages);
        let english = Language::ENGLISH;
        let (fast, _) = both_phone_forms(&kit, &languages, english, "/", phone_form()).await;
        assert!(fast.is_some());
        type Change = fn(&mut PhoneFormPage);
        let uncovered: [(&str, Change); 6] = [
            ("a sign-in", |p| p.client = Some("Shop".into())),
            ("a form target", |p| {
                p.form_target = Some(FormTarget("https://shop.example".into()))
            }),
            ("something typed", |p| p.typed = "020 7946 0000".into()),
            ("an error", |p| p.error = Some("Not a number".into())),
            ("a token not of ours", |p| p.csrf = "a\"b".into()),
            ("another example", |p| p.example = "(201) 555-0123".into()),
        ];
        for (what, change) in uncovered {
            let mut page = phone_form();
            change(&mut page);
            let (fast, _) = both_phone_forms(&kit, &languages, english, "/", page).await;
            assert!(fast.is_none(), "{what}");
        }
    }

    #[tokio::test]
    async fn every_code_page_from_its_pieces_is_byte_for_byte_the_one_rendered_per_request() {
        let languages = Languages::default();
        let kit = kit(&languages);
        let deliveries = [
            Delivery::Unknown,
            Delivery::Sent,
            Delivery::Delivered,
            Delivery::Failed,
        ];
        for &language in languages.offered() {
            for delivery in deliveries {
                for watch_delivery in [false, true] {
                    // Each shape twice, with other values: the pieces keep
                    // none of the first request's.
                    let pages = [
                        ("(201) 555-0123", Duration::from_secs(600), false, None),
                        (
                            "(415) 555-0199",
                            Duration::from_secs(61),
                            true,
                            Some("Wrong <code> & \"quotes\" 'x'"),
                        ),
                        ("(212) 555-0100", Duration::from_secs(5), false, None),
                        (
                            "(646) 555-0142",
                            Duration::from_secs(3600),
                            false,
                            Some("2 tries"),
                        ),
                    ];
                    for (phone, valid_for, resent, error) in pages {
                        let mut page = code_page(phone, DIGITS);
                        page.valid_for = valid_for;
                        page.resent = resent;
                        page.error = error.map(str::to_owned);
                        page.delivery = delivery;
                        page.watch_delivery = watch_delivery;
                        let csrf = page.csrf.clone();
                        let (fast, rendered) =
                            both(&kit, &languages, language, "/verify", page).await;
                        let shape = format!("{language:?} {delivery:?} {watch_delivery} {error:?}");
                        assert_eq!(fast.as_deref(), Some(rendered.as_str()), "{shape}");
                        assert!(rendered.contains(&csrf), "{shape}");
                        for hole in FormHole::ALL {
                            assert!(!rendered.contains(hole.mark()), "{shape}");
                        }
                    }
                }
            }
        }
    }

    #[tokio::test]
    async fn a_code_page_with_parts_its_pieces_do_not_cover_is_rendered_per_request() {
        let languages = Languages::default();
        let kit = kit(&languages);
        let english = Language::ENGLISH;
        // The pieces of the plain shape, made first.
        let (fast, _) = both(
            &kit,
            &languages,
            english,
            "/verify",
            code_page("2015550123", DIGITS),
        )
        .await;
        assert!(fast.is_some());
        type Change = fn(&mut CodeFormPage);
        let uncovered: [(&str, Change); 9] = [
            ("a sign-in", |p| p.client = Some("Shop".into())),
            ("a form target", |p| {
                p.form_target = Some(FormTarget("https://shop.example".into()))
            }),
            ("a notice", |p| {
                p.notice = Some("It may not have gone".into())
            }),
            ("a refused resend", |p| p.resend_error = Some("Wait".into())),
            ("a wait to resend", |p| p.resend_wait_secs = Some(29)),
            ("a token not of ours", |p| p.csrf = "a\"b".into()),
            ("another length", |p| {
                p.code_length = 8;
                p.pattern = "[0-9]{8}".into();
            }),
            ("another pattern", |p| p.pattern = "[0-9]{6,}".into()),
            ("another alphabet", |p| {
                p.numeric = false;
                p.pattern = "[0-9A-Fa-f]{6}".into();
            }),
        ];
        for (what, change) in uncovered {
            let mut page = code_page("2015550123", DIGITS);
            change(&mut page);
            let (fast, _) = both(&kit, &languages, english, "/verify", page).await;
            assert!(fast.is_none(), "{what}");
        }
        // Another page's switcher than the pieces were made with.
        let (fast, _) = both(
            &kit,
            &languages,
            english,
            "/",
            code_page("2015550123", DIGITS),
        )
        .await;
        assert!(fast.is_none());
    }

    #[tokio::test]
    async fn a_mark_in_the_operators_brand_name_gets_the_page_it_cuts_rendered_per_request() {
        let languages = Languages::default();
        let english = Language::ENGLISH;
        let code_marks = FormHole::ALL.iter().map(|hole| hole.mark());
        let problem_marks = ProblemHole::ALL.iter().map(|hole| hole.mark());
        for mark in code_marks.clone().chain(problem_marks.clone()) {
            let branding = Branding {
                name: Some(format!("Acme {mark}")),
                support_url: None,
            };
            let kit = Arc::new(PageKit::new(Arc::new(branding), &languages));
            let page = code_page("2015550123", DIGITS);
            let (fast, rendered) = both(&kit, &languages, english, "/verify", page).await;
            match fast {
                Some(fast) => assert_eq!(fast, rendered, "{mark}"),
                None => assert!(code_marks.clone().any(|m| m == mark), "{mark}"),
            }
            let (fast, rendered) =
                both_phone_forms(&kit, &languages, english, "/", phone_form()).await;
            match fast {
                Some(fast) => assert_eq!(fast, rendered, "{mark}"),
                None => assert!(code_marks.clone().any(|m| m == mark), "{mark}"),
            }
            let problem = || ProblemPage {
                title: "Expired".into(),
                message_html: "Start <em>again</em>.".into(),
            };
            let (fast, rendered) = branded(
                kit.clone(),
                i18n::speaking(languages.page(english, "/verify"), async {
                    let fast = kit.problems.answer(&problem());
                    (fast, with_form_target(&problem(), None))
                }),
            )
            .await;
            match fast {
                Some(fast) => assert_eq!(body(fast).await, body(rendered).await, "{mark}"),
                None => assert!(problem_marks.clone().any(|m| m == mark), "{mark}"),
            }
        }
    }

    #[tokio::test]
    async fn every_problem_page_from_its_pieces_is_byte_for_byte_the_one_rendered_per_request() {
        let languages = Languages::default();
        let kit = kit(&languages);
        for &language in languages.offered() {
            for (title, message_html) in [
                ("Too <many> & \"tries\"", "Wait <strong>5 minutes</strong>."),
                ("Expired", "Start again &amp; ask for a new code."),
            ] {
                for here in ["/verify", "/"] {
                    let page = || ProblemPage {
                        title: title.to_owned().into(),
                        message_html: message_html.to_owned().into(),
                    };
                    let (fast, rendered) = branded(
                        kit.clone(),
                        i18n::speaking(languages.page(language, here), async {
                            (
                                kit.problems.answer(&page()),
                                with_form_target(&page(), None),
                            )
                        }),
                    )
                    .await;
                    let rendered = body(rendered).await;
                    assert!(!rendered.contains(ProblemHole::Title.mark()));
                    match (here, fast) {
                        ("/verify", Some(fast)) => {
                            assert_eq!(body(fast).await, rendered, "{language:?}")
                        }
                        ("/verify", None) => panic!("{language:?}: not from its pieces"),
                        // Made with the first page's switcher: another's is rendered.
                        (_, fast) => assert!(fast.is_none(), "{language:?} {here}"),
                    }
                }
            }
        }
    }
}
