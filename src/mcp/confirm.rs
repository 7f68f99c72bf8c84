//! Asking the human through form elicitation: for destructive calls, and before a session
//! connection sends the environment's password to a URL the model chose. The decision about what
//! an answer means lives in `policy::confirm`; this only talks MCP.

use std::time::Duration;

use futures::future::BoxFuture;
use rmcp::service::ElicitationError;
use rmcp::service::ElicitationMode;
use rmcp::{Peer, RoleServer};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::policy::{HumanAnswer, HumanConfirmation};

/// How long a person has to answer.
const ANSWER_WITHIN: Duration = Duration::from_secs(300);

/// The confirmation form: one checkbox.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct Confirmation {
    /// Tick to confirm
    pub confirm: bool,
}
rmcp::elicit_safe!(Confirmation);

/// Whether the client declared form elicitation (a client that did not must never be asked).
pub(super) fn supports_forms(peer: &Peer<RoleServer>) -> bool {
    peer.supported_elicitation_modes()
        .contains(&ElicitationMode::Form)
}

/// The client on the other end of this call.
pub struct PeerConfirmation<'a>(pub &'a Peer<RoleServer>);

impl HumanConfirmation for PeerConfirmation<'_> {
    fn ask<'a>(&'a self, message: &'a str) -> BoxFuture<'a, HumanAnswer> {
        Box::pin(async move {
            if !supports_forms(self.0) {
                return HumanAnswer::NotSupported;
            }
            match self
                .0
                .elicit_with_timeout::<Confirmation>(message, Some(ANSWER_WITHIN))
                .await
            {
                Ok(Some(form)) if form.confirm => HumanAnswer::Confirmed,
                Ok(Some(_)) | Err(ElicitationError::UserDeclined) => HumanAnswer::Declined,
                Err(ElicitationError::UserCancelled) => HumanAnswer::Cancelled,
                Ok(None) => HumanAnswer::Failed("the form came back empty".into()),
                Err(e) => HumanAnswer::Failed(e.to_string()),
            }
        })
    }
}
