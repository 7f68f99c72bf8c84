//! `prompts/list` and `prompts/get` over the embedded prompt files.

use std::collections::BTreeMap;

use rmcp::ErrorData as McpError;
use rmcp::model::{
    GetPromptRequestParams, GetPromptResult, ListPromptsResult, Prompt, PromptArgument,
    PromptMessage, Role,
};

use crate::prompts;

pub fn list() -> ListPromptsResult {
    let prompts = prompts::all()
        .iter()
        .map(|p| {
            let arguments = p
                .arguments
                .iter()
                .map(|a| {
                    PromptArgument::new(&a.name)
                        .with_description(format!("{} Default: {}.", a.description, a.default))
                        .with_required(false)
                })
                .collect();
            Prompt::new(&p.name, Some(&p.description), Some(arguments))
        })
        .collect();
    ListPromptsResult::with_all_items(prompts)
}

pub fn get(request: &GetPromptRequestParams) -> Result<GetPromptResult, McpError> {
    let mut given = BTreeMap::new();
    for (name, value) in request.arguments.iter().flatten() {
        // Arguments are strings in the protocol; accept numbers and booleans from lax clients.
        let text = match value {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Bool(b) => b.to_string(),
            serde_json::Value::Null => continue,
            _ => {
                return Err(McpError::invalid_params(
                    format!("argument {name} must be a string"),
                    None,
                ));
            }
        };
        given.insert(name.clone(), text);
    }
    let (description, text) = prompts::render(&request.name, &given)
        .map_err(|e| McpError::invalid_params(e.to_string(), None))?;
    Ok(
        GetPromptResult::new(vec![PromptMessage::new_text(Role::User, text)])
            .with_description(description),
    )
}
