//! Canned MSP prompts: Markdown files in `prompts/` with a TOML front matter (name, description,
//! arguments with defaults), embedded at build time and rendered with `{{argument}}` placeholders.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

/// Every prompt file, embedded at build time (a test checks that none in `prompts/` is missing).
const SOURCES: &[(&str, &str)] = &[
    (
        "diagnose_failing_jobs.md",
        include_str!("../prompts/diagnose_failing_jobs.md"),
    ),
    (
        "audit_cloud_storage_usage.md",
        include_str!("../prompts/audit_cloud_storage_usage.md"),
    ),
    (
        "summarize_agent_health.md",
        include_str!("../prompts/summarize_agent_health.md"),
    ),
    (
        "find_stale_agents.md",
        include_str!("../prompts/find_stale_agents.md"),
    ),
    (
        "check_backrest_health.md",
        include_str!("../prompts/check_backrest_health.md"),
    ),
    (
        "verify_restore_readiness.md",
        include_str!("../prompts/verify_restore_readiness.md"),
    ),
];

/// A problem with a prompt file or a prompt request.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PromptError {
    #[error("prompt file {file}: {problem}")]
    BadFile { file: String, problem: String },
    #[error("unknown prompt {0:?}; prompts/list shows the available ones")]
    Unknown(String),
    #[error("prompt {prompt} has no argument {argument:?}")]
    UnknownArgument { prompt: String, argument: String },
    #[error("argument {argument}={value:?} is invalid: {why}")]
    BadValue {
        argument: String,
        value: String,
        why: &'static str,
    },
}

/// How an argument's value is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ArgKind {
    #[default]
    Text,
    /// `24h`, `7d` or `30d`.
    Window,
    /// A whole number of days, 1 to 365 (leading/trailing spaces allowed).
    Days,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PromptArg {
    pub name: String,
    pub description: String,
    pub default: String,
    #[serde(default)]
    pub kind: ArgKind,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PromptTemplate {
    pub name: String,
    pub description: String,
    #[serde(default)]
    pub arguments: Vec<PromptArg>,
    #[serde(skip)]
    pub body: String,
}

impl PromptTemplate {
    /// Parses `+++\n<toml>\n+++\n<markdown>`.
    pub fn parse(file: &str, source: &str) -> Result<Self, PromptError> {
        let bad = |problem: String| PromptError::BadFile {
            file: file.to_owned(),
            problem,
        };
        let rest = source
            .strip_prefix("+++\n")
            .ok_or_else(|| bad("must start with a +++ front matter line".into()))?;
        let (front, body) = rest
            .split_once("\n+++\n")
            .ok_or_else(|| bad("the front matter has no closing +++ line".into()))?;
        let mut template: PromptTemplate =
            toml::from_str(front).map_err(|e| bad(format!("front matter: {e}")))?;
        template.body = body.trim().to_owned();
        for arg in &template.arguments {
            validate(arg, &arg.default).map_err(|e| bad(format!("default: {e}")))?;
        }
        Ok(template)
    }

    /// The text with every argument filled in (defaults for those not given).
    pub fn render(&self, given: &BTreeMap<String, String>) -> Result<String, PromptError> {
        if let Some(unknown) = given
            .keys()
            .find(|k| !self.arguments.iter().any(|a| &a.name == *k))
        {
            return Err(PromptError::UnknownArgument {
                prompt: self.name.clone(),
                argument: unknown.clone(),
            });
        }
        let mut text = self.body.clone();
        for arg in &self.arguments {
            let value = given
                .get(&arg.name)
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
                .unwrap_or(&arg.default);
            let value = validate(arg, value)?;
            text = text.replace(&format!("{{{{{}}}}}", arg.name), &value);
        }
        Ok(text)
    }
}

/// Checks (and normalises) one argument value.
fn validate(arg: &PromptArg, value: &str) -> Result<String, PromptError> {
    let bad = |why| PromptError::BadValue {
        argument: arg.name.clone(),
        value: value.to_owned(),
        why,
    };
    match arg.kind {
        ArgKind::Text => Ok(value.to_owned()),
        ArgKind::Window => match crate::window::length(value) {
            Some(_) => Ok(value.trim().to_ascii_lowercase()),
            None => Err(bad("use Nh, Nd or Nw, e.g. 24h, 48h, 7d or 2w")),
        },
        ArgKind::Days => match value.trim().parse::<u32>() {
            Ok(d) if (1..=365).contains(&d) => Ok(d.to_string()),
            _ => Err(bad("use a whole number of days from 1 to 365")),
        },
    }
}

/// Every embedded prompt, parsed once. The files are checked by tests, so a parse failure here
/// is a build defect and the prompt is left out with an error logged.
pub fn all() -> &'static [PromptTemplate] {
    static PROMPTS: OnceLock<Vec<PromptTemplate>> = OnceLock::new();
    PROMPTS.get_or_init(|| {
        SOURCES
            .iter()
            .filter_map(|(file, source)| match PromptTemplate::parse(file, source) {
                Ok(p) => Some(p),
                Err(e) => {
                    tracing::error!("{e}");
                    None
                }
            })
            .collect()
    })
}

/// Renders prompt `name` with `given` arguments.
pub fn render(
    name: &str,
    given: &BTreeMap<String, String>,
) -> Result<(String, String), PromptError> {
    let prompt = all()
        .iter()
        .find(|p| p.name == name)
        .ok_or_else(|| PromptError::Unknown(name.to_owned()))?;
    Ok((prompt.description.clone(), prompt.render(given)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_in_the_folder_is_embedded_and_parses() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("prompts");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".md"))
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> = SOURCES.iter().map(|(f, _)| (*f).to_owned()).collect();
        embedded.sort();
        assert_eq!(on_disk, embedded);
        for (file, source) in SOURCES {
            let p = PromptTemplate::parse(file, source).unwrap();
            assert_eq!(format!("{}.md", p.name), *file);
            assert!(p.description.len() < 2048);
            for arg in &p.arguments {
                assert!(
                    p.body.contains(&format!("{{{{{}}}}}", arg.name)),
                    "{file}: {}",
                    arg.name
                );
            }
        }
        assert_eq!(all().len(), SOURCES.len());
    }

    #[test]
    fn renders_defaults_given_values_and_rejects_bad_ones() {
        let none = BTreeMap::new();
        let (_, text) = render("diagnose_failing_jobs", &none).unwrap();
        assert!(text.contains("\"24h\"") && !text.contains("{{"));
        let given = BTreeMap::from([("window".to_owned(), "7D".to_owned())]);
        assert!(
            render("diagnose_failing_jobs", &given)
                .unwrap()
                .1
                .contains("\"7d\"")
        );
        let given = BTreeMap::from([("days".to_owned(), " 14 ".to_owned())]);
        assert!(
            render("find_stale_agents", &given)
                .unwrap()
                .1
                .contains("`stale_days` = 14")
        );
        let given = BTreeMap::from([("days".to_owned(), "many".to_owned())]);
        assert!(matches!(
            render("find_stale_agents", &given),
            Err(PromptError::BadValue { .. })
        ));
        let given = BTreeMap::from([("nope".to_owned(), "1".to_owned())]);
        assert!(matches!(
            render("find_stale_agents", &given),
            Err(PromptError::UnknownArgument { .. })
        ));
        assert!(matches!(
            render("missing", &none),
            Err(PromptError::Unknown(_))
        ));
    }

    #[test]
    fn malformed_files_are_reported() {
        assert!(PromptTemplate::parse("x.md", "no front matter").is_err());
        assert!(PromptTemplate::parse("x.md", "+++\nname = 1\n+++\nbody").is_err());
        let bad_default = "+++\nname = \"x\"\ndescription = \"d\"\n[[arguments]]\nname = \"w\"\ndescription = \"d\"\ndefault = \"1y\"\nkind = \"window\"\n+++\n{{w}}";
        assert!(PromptTemplate::parse("x.md", bad_default).is_err());
    }
}
