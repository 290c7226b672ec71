//! A contract version's documentation, generated from the contract and
//! the message catalogue by the core ([`prompt_preflight::docs`]): the
//! Markdown `preflight docs` writes, and the same as an HTML page for
//! `/docs/{id}/{version}`.

use super::error::{ServiceError, VersionError};
use crate::registry::{Family, Registry};
use prompt_preflight::Contract;
use semver::Version;
use std::sync::Arc;

/// The version `version` of contract `id` (its default when `None`) and the
/// family it belongs to.
fn find<'r>(
    registry: &'r Registry,
    id: &str,
    version: Option<&str>,
) -> Result<(&'r Family, &'r Arc<Contract>), ServiceError> {
    let family = registry
        .family(id)
        .ok_or_else(|| ServiceError::UnknownContract(id.to_owned()))?;
    let unknown = || VersionError::UnknownVersion {
        id: id.to_owned(),
        asked: version.unwrap_or_default().to_owned(),
        available: family.listing(),
    };
    let contract = match version {
        None => registry.get(id).ok_or_else(unknown)?,
        Some(v) => Version::parse(v)
            .ok()
            .and_then(|v| family.get(&v))
            .ok_or_else(unknown)?,
    };
    Ok((family, contract))
}

/// The Markdown documentation of `id` at `version` (the default version
/// when `None`), with the changelog of every version of it.
pub fn markdown(
    registry: &Registry,
    id: &str,
    version: Option<&str>,
) -> Result<(Arc<Contract>, String), ServiceError> {
    let (family, contract) = find(registry, id, version)?;
    let history: Vec<&Contract> = family
        .versions()
        .map(|(_, c)| c.as_ref())
        .filter(|c| c.version != contract.version)
        .collect();
    Ok((
        contract.clone(),
        prompt_preflight::docs::render(contract, &history),
    ))
}

/// `markdown` as a whole HTML page: CommonMark with tables, in the web
/// app's style. The contract's text is escaped by the renderer; raw HTML
/// in it is escaped too, so a contract cannot inject markup.
pub fn html(contract: &Contract, markdown: &str) -> String {
    use pulldown_cmark::{html::push_html, Event, Options, Parser};
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    // The generated anchors (`<a id="missing_column"></a>`) are the only
    // raw HTML the page keeps; anything else is shown as text.
    let events = Parser::new_ext(markdown, options).map(|event| match event {
        // On its own line the anchor is a paragraph of two inline tags.
        Event::InlineHtml(h) if is_anchor(&h) || is_anchor_open(&h) || h.trim() == "</a>" => {
            Event::InlineHtml(h)
        }
        Event::Html(h) if is_anchor(&h) => Event::Html(h),
        Event::Html(h) | Event::InlineHtml(h) => Event::Text(h),
        other => other,
    });
    let mut body = String::with_capacity(markdown.len() * 3 / 2);
    push_html(&mut body, events);
    let title = escape(&format!("{} {}", contract.id, contract.version));
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} · Prompt Preflight docs</title>\n\
         <link rel=\"stylesheet\" href=\"/style.css\">\n</head>\n\
         <body class=\"docs\">\n<main class=\"docs-page\">\n{body}</main>\n</body>\n</html>\n"
    )
}

/// Whether `html` is exactly one generated anchor, `<a id="code"></a>`.
fn is_anchor(html: &str) -> bool {
    html.trim().strip_suffix("</a>").is_some_and(is_anchor_open)
}

/// Whether `html` is exactly an anchor's opening tag, `<a id="code">`, with
/// an id of letters, digits, `_` and `-`.
fn is_anchor_open(html: &str) -> bool {
    html.trim()
        .strip_prefix("<a id=\"")
        .and_then(|rest| rest.strip_suffix("\">"))
        .is_some_and(|id| {
            !id.is_empty()
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        })
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_generated_anchors_stay_html() {
        assert!(is_anchor("<a id=\"missing_column\"></a>"));
        assert!(!is_anchor("<a id=\"x\" onclick=\"evil()\"></a>"));
        assert!(!is_anchor("<script>alert(1)</script>"));
        assert!(is_anchor_open("<a id=\"missing_column\">"));
        assert!(!is_anchor_open("<a id=\"x\" href=\"javascript:evil()\">"));
    }

    #[test]
    fn anchors_survive_and_other_html_is_text() {
        let contract =
            Contract::from_toml(include_str!("../../../contracts/customer-list/2.0.0.toml"))
                .expect("the shipped contract loads");
        let page = html(
            &contract,
            "<a id=\"missing_column\"></a>\n\n### missing_column\n\n<script>x</script>\n",
        );
        assert!(page.contains("<a id=\"missing_column\"></a>"), "{page}");
        assert!(page.contains("&lt;script&gt;"), "{page}");
        assert!(!page.contains("<script>"), "{page}");
    }
}
