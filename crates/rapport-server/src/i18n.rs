//! Localised UI text with Fluent. Every UI string comes from `locales/<lang>/main.ftl`.

use std::collections::HashMap;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use rapport_domain::Locale;

/// One file per area of the UI, so translations of different features do not collide.
macro_rules! locale_files {
    ($l:literal) => {
        [
            include_str!(concat!("../locales/", $l, "/main.ftl")),
            include_str!(concat!("../locales/", $l, "/surveys.ftl")),
            include_str!(concat!("../locales/", $l, "/insights.ftl")),
            include_str!(concat!("../locales/", $l, "/ops.ftl")),
            include_str!(concat!("../locales/", $l, "/cases.ftl")),
            include_str!(concat!("../locales/", $l, "/alerts.ftl")),
            include_str!(concat!("../locales/", $l, "/webhooks.ftl")),
            include_str!(concat!("../locales/", $l, "/frontline.ftl")),
            include_str!(concat!("../locales/", $l, "/frontline_ui.ftl")),
            include_str!(concat!("../locales/", $l, "/ambassadorship.ftl")),
            include_str!(concat!("../locales/", $l, "/auth.ftl")),
        ]
    };
}

const SOURCES: [(Locale, [&str; 11]); 3] = [
    (Locale::En, locale_files!("en")),
    (Locale::He, locale_files!("he")),
    (Locale::El, locale_files!("el")),
];

pub struct I18n {
    bundles: HashMap<Locale, FluentBundle<FluentResource>>,
}

impl I18n {
    /// Parses the bundled translations; a syntax error is a build defect, caught by tests.
    pub fn load() -> Self {
        let mut bundles = HashMap::new();
        for (locale, files) in SOURCES {
            let lang: unic_langid::LanguageIdentifier =
                locale.as_str().parse().expect("language id");
            let mut bundle = FluentBundle::new_concurrent(vec![lang]);
            // We isolate user content with <bdi> in HTML ourselves; Fluent's own FSI/PDI
            // marks would only add invisible characters to every message.
            bundle.set_use_isolating(false);
            for src in files {
                let res = FluentResource::try_new(src.to_string())
                    .unwrap_or_else(|(_, errs)| panic!("{locale} translations: {errs:?}"));
                bundle.add_resource(res).expect("unique message ids");
            }
            bundles.insert(locale, bundle);
        }
        Self { bundles }
    }

    /// Formats a message; falls back to English, then to the id itself, never panics.
    pub fn format(&self, locale: Locale, id: &str, args: Option<&FluentArgs>) -> String {
        for l in [locale, Locale::En] {
            let bundle = &self.bundles[&l];
            if let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) {
                let mut errors = vec![];
                return bundle
                    .format_pattern(pattern, args, &mut errors)
                    .into_owned();
            }
        }
        tracing::warn!(id, %locale, "missing translation");
        id.to_string()
    }

    /// Message ids defined for a locale, for completeness tests.
    pub fn ids(locale: Locale) -> Vec<String> {
        let files = SOURCES
            .iter()
            .find(|(l, _)| *l == locale)
            .map(|(_, f)| *f)
            .unwrap_or_default();
        files
            .iter()
            .flat_map(|src| src.lines())
            .filter(|l| !l.starts_with([' ', '#', '\t', '.', '*', '[']) && l.contains(" ="))
            .filter_map(|l| l.split(" =").next())
            .map(|s| s.trim().to_string())
            .collect()
    }
}

/// A translator bound to one locale, handed to page templates.
#[derive(Clone)]
pub struct Tr {
    pub i18n: std::sync::Arc<I18n>,
    pub locale: Locale,
}

impl Tr {
    pub fn t(&self, id: &str) -> String {
        self.i18n.format(self.locale, id, None)
    }

    pub fn ta<'a>(&self, id: &str, args: &[(&'a str, FluentValue<'a>)]) -> String {
        let mut fa = FluentArgs::new();
        for (k, v) in args {
            fa.set(*k, v.clone());
        }
        self.i18n.format(self.locale, id, Some(&fa))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_locale_has_every_message() {
        let i18n = I18n::load();
        let en = I18n::ids(Locale::En);
        assert!(en.len() > 50, "{}", en.len());
        for l in [Locale::He, Locale::El] {
            let ids = I18n::ids(l);
            let missing: Vec<_> = en.iter().filter(|id| !ids.contains(id)).collect();
            assert!(missing.is_empty(), "{l} lacks {missing:?}");
            let extra: Vec<_> = ids.iter().filter(|id| !en.contains(id)).collect();
            assert!(extra.is_empty(), "{l} has unknown {extra:?}");
            for id in &ids {
                assert_ne!(i18n.format(l, id, None), *id, "{l}:{id} did not format");
            }
        }
        assert_eq!(i18n.format(Locale::He, "nav-journeys", None), "מסעות לקוח");
    }
}
