//! Getting values from flags, the environment or (on a terminal only) interactive prompts.

use std::io::{BufRead, IsTerminal};

use secrecy::SecretString;

use crate::Failure;

/// True when a person can answer prompts.
pub fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// The flag's value, else a prompt on a terminal, else an error naming the flag.
pub fn text(
    given: Option<String>,
    flag: &str,
    prompt: &str,
    default: Option<String>,
) -> Result<String, Failure> {
    if let Some(v) = given {
        return Ok(v);
    }
    if !interactive() {
        return match default {
            Some(d) => Ok(d),
            None => Err(Failure::usage(format!(
                "{flag} is required when not running on a terminal"
            ))),
        };
    }
    let mut input = dialoguer::Input::<String>::new()
        .with_prompt(prompt)
        .allow_empty(default.is_some());
    if let Some(d) = default {
        input = input.default(d);
    }
    input
        .interact_text()
        .map_err(|e| Failure::new(format!("could not read {flag}: {e}")))
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
