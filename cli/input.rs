//! Getting values from flags, the environment or (on a terminal only) interactive prompts.

use std::io::{BufRead, IsTerminal};

use secrecy::SecretString;

use crate::Failure;

/// True when a person can answer prompts.
pub fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// One value the user gives by flag or, on a terminal, at a prompt.
pub struct Question<'a> {
    pub flag: &'a str,
    pub prompt: &'a str,
    /// Taken for an empty answer, and without a terminal when the flag is missing.
    pub default: Option<String>,
    /// An empty answer is a valid one (for example no user name: Backrest without auth).
    pub allow_empty: bool,
    /// Checked on every answer: a prompt shows the problem and asks again; a flag's value that
    /// fails is a usage error.
    pub check: fn(&str) -> Result<(), String>,
}

impl<'a> Question<'a> {
    /// A required value any text answers.
    pub fn new(flag: &'a str, prompt: &'a str) -> Self {
        Question {
            flag,
            prompt,
            default: None,
            allow_empty: false,
            check: |_| Ok(()),
        }
    }

    pub fn default(mut self, default: Option<String>) -> Self {
        self.default = default;
        self
    }

    pub fn allow_empty(mut self) -> Self {
        self.allow_empty = true;
        self
    }

    pub fn check(mut self, check: fn(&str) -> Result<(), String>) -> Self {
        self.check = check;
        self
    }

    /// The flag's value, else a prompt on a terminal, else the default, else an error naming
    /// the flag.
    pub fn ask(self, given: Option<String>) -> Result<String, Failure> {
        if let Some(v) = given {
            (self.check)(&v).map_err(|e| Failure::usage(format!("{}: {e}", self.flag)))?;
            return Ok(v);
        }
        if !interactive() {
            return match self.default {
                Some(d) => Ok(d),
                None => Err(Failure::usage(format!(
                    "{} is required when not running on a terminal",
                    self.flag
                ))),
            };
        }
        let check = self.check;
        let allow_empty = self.allow_empty;
        let mut input = dialoguer::Input::<String>::new()
            .with_prompt(self.prompt)
            .allow_empty(allow_empty || self.default.is_some())
            .validate_with(move |v: &String| {
                if v.is_empty() && allow_empty {
                    Ok(())
                } else {
                    check(v)
                }
            });
        if let Some(d) = self.default {
            input = input.default(d);
        }
        input
            .interact_text()
            .map_err(|e| Failure::new(format!("could not read {}: {e}", self.flag)))
    }
}

/// Where the password comes from, in order: `--password-stdin`, `BACKUP_MCP_PASSWORD`, a prompt.
pub fn password(from_stdin: bool, allow_empty: bool) -> Result<SecretString, Failure> {
    let value = if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| Failure::new(format!("could not read the password from stdin: {e}")))?;
        let trimmed = line.trim_end_matches(['\n', '\r']).to_owned();
        SecretString::from(trimmed)
    } else if let Ok(p) = std::env::var("BACKUP_MCP_PASSWORD") {
        SecretString::from(p)
    } else if interactive() {
        dialoguer::Password::new()
            .with_prompt("Password")
            .allow_empty_password(allow_empty)
            .interact()
            .map(SecretString::from)
            .map_err(|e| Failure::new(format!("could not read the password: {e}")))?
    } else {
        return Err(Failure::usage(
            "no password: pass --password-stdin (and pipe it in) or set BACKUP_MCP_PASSWORD",
        ));
    };
    use secrecy::ExposeSecret;
    if value.expose_secret().is_empty() && !allow_empty {
        return Err(Failure::usage("the password is empty"));
    }
    Ok(value)
}
