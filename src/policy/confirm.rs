//! Confirmation of destructive calls: the typed confirm token (`FORGET:<snapshot_id>`) and the
//! human's answer to a form, when the client can show one. Asking is done by the MCP layer
//! (through [`HumanConfirmation`]); deciding what an answer means is done here, failing closed.

use futures::future::BoxFuture;

use super::Refusal;

/// The token `forget_snapshot` requires.
pub fn forget_token(snapshot_id: &str) -> String {
    format!("FORGET:{snapshot_id}")
}

/// The given token must equal the expected one exactly.
pub fn check_token(expected: &str, given: Option<&str>) -> Result<(), Refusal> {
    match given {
        Some(g) if g == expected => Ok(()),
        Some(_) => Err(Refusal::new(format!(
            "the confirm token does not match; to go ahead pass confirm = \"{expected}\" exactly"
        ))),
        None => Err(Refusal::new(format!(
            "this call needs confirm = \"{expected}\" (typed exactly) to go ahead"
        ))),
    }
}

/// What asking the human produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HumanAnswer {
    /// Accepted and confirmed.
    Confirmed,
    /// Declined, or accepted without ticking the confirmation.
    Declined,
    /// Dismissed without an answer.
    Cancelled,
    /// The client cannot show forms: the confirm token (and the gates) are all we have.
    NotSupported,
    /// The client can show forms but no answer could be obtained.
    Failed(String),
}

/// Asks the human at the client to confirm an action.
pub trait HumanConfirmation: Send + Sync {
    fn ask<'a>(&'a self, message: &'a str) -> BoxFuture<'a, HumanAnswer>;
}

/// Whether the call may go ahead after `answer`; the `Ok` value says how it was confirmed.
pub fn decide(answer: HumanAnswer) -> Result<&'static str, Refusal> {
    match answer {
        HumanAnswer::Confirmed => Ok("confirmed by the user"),
        HumanAnswer::NotSupported => Ok("client cannot show forms; confirmed by the gates only"),
        HumanAnswer::Declined => Err(Refusal::new("the user declined the confirmation")),
        HumanAnswer::Cancelled => Err(Refusal::new("the user dismissed the confirmation")),
        HumanAnswer::Failed(why) => Err(Refusal::new(format!(
            "the user's confirmation could not be obtained ({why}); refused"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_must_match_exactly() {
        let t = forget_token("abc");
        assert!(check_token(&t, Some("FORGET:abc")).is_ok());
        assert!(check_token(&t, Some("forget:abc")).is_err());
        assert!(check_token(&t, Some("FORGET:abc ")).is_err());
        assert!(check_token(&t, None).is_err());
    }

    #[test]
    fn only_confirmation_or_no_form_support_goes_ahead() {
        assert!(decide(HumanAnswer::Confirmed).is_ok());
        assert!(decide(HumanAnswer::NotSupported).is_ok());
        assert!(decide(HumanAnswer::Declined).is_err());
        assert!(decide(HumanAnswer::Cancelled).is_err());
        assert!(decide(HumanAnswer::Failed("timeout".into())).is_err());
    }
}
