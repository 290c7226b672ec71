//! The prepared payload: the messages that would go to the model.

use crate::{Contract, Encoding};
use serde::{Deserialize, Serialize};

/// Who a chat message is from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Instructions from the contract.
    System,
    /// The user's input, wrapped in the contract's template.
    User,
    /// An earlier answer of the model, when a follow-up call asks it to
    /// go on from where it was cut off.
    Assistant,
}

/// One chat message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// Who it is from.
    pub role: Role,
    /// What it says.
    pub content: String,
}

/// What would be sent to the model for an accepted input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payload {
    /// The model name from the contract.
    pub model: String,
    /// The encoding its tokens are counted with.
    pub encoding: Encoding,
    /// The chat messages.
    pub messages: Vec<Message>,
}

impl Payload {
    /// Wraps `input` in the contract's system message and template.
    ///
    /// ```
    /// use prompt_preflight::{Contract, Payload};
    /// let c = Contract::parse(r#"{"id":"x","version":"1.0.0","model":{"name":"gpt-4o"},
    ///   "tiers":{"free":{"max_input_tokens":10}},"prompt":{"system":"Be brief.","template":"Summarise: {{input}}"}}"#).unwrap();
    /// let p = Payload::build(&c, "the text");
    /// assert_eq!(p.messages[1].content, "Summarise: the text");
    /// ```
    pub fn build(contract: &Contract, input: &str) -> Payload {
        let prompt = contract.prompt.as_ref();
        let mut messages = Vec::with_capacity(2);
        if let Some(system) = prompt.and_then(|p| p.system.as_ref()) {
            messages.push(Message {
                role: Role::System,
                content: system.clone(),
            });
        }
        let (prefix, suffix) = prompt.map_or(("", ""), |p| p.frame());
        let content = format!("{prefix}{input}{suffix}");
        messages.push(Message {
            role: Role::User,
            content,
        });
        Payload {
            model: contract.model.name.clone(),
            encoding: contract
                .model
                .info()
                .map(|m| m.encoding)
                .or(contract.model.encoding.ok_or(()))
                .unwrap_or(Encoding::O200kBase),
            messages,
        }
    }
}
