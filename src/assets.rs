//! Static files, built into the binary so it runs from any directory, and
//! served under names that carry a hash of their content, so browsers may
//! cache them for a year and still never see a stale one.

use std::sync::LazyLock;

use sha2::{Digest, Sha256};

struct Asset {
    /// e.g. `style.css`; served as `/static/style.<hash>.css`.
    file: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const FILES: [Asset; 2] = [
    Asset {
        file: "style.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../static/style.css"),
    },
    Asset {
        file: "code.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../static/code.js"),
    },
];

static PATHS: LazyLock<Vec<String>> = LazyLock::new(|| FILES.iter().map(fingerprinted).collect());

fn fingerprinted(asset: &Asset) -> String {
    let hash = Sha256::digest(asset.body);
    let hex: String = hash.iter().take(5).map(|b| format!("{b:02x}")).collect();
    let (stem, extension) = asset.file.rsplit_once('.').unwrap_or((asset.file, ""));
    format!("/static/{stem}.{hex}.{extension}")
}

/// The stylesheet's path, for templates.
pub fn stylesheet() -> &'static str {
    &PATHS[0]
}

/// The code page's script (WebOTP and the resend countdown), for templates.
pub fn code_script() -> &'static str {
    &PATHS[1]
}

/// The content type and body served at `path`, if it is one of ours.
pub fn lookup(path: &str) -> Option<(&'static str, &'static [u8])> {
    let index = PATHS.iter().position(|p| p == path)?;
    Some((FILES[index].content_type, FILES[index].body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assets_are_served_under_their_fingerprinted_names_only() {
        assert!(stylesheet().starts_with("/static/style.") && stylesheet().ends_with(".css"));
        assert_eq!(stylesheet().len(), "/static/style..css".len() + 10);
        assert!(lookup(stylesheet()).is_some_and(|(t, _)| t.starts_with("text/css")));
        assert!(lookup(code_script()).is_some_and(|(t, _)| t.starts_with("text/javascript")));
        assert!(lookup("/static/style.css").is_none());
    }
}
