//! Backrest client (Connect/JSON over `POST /v1.Backrest/<Method>`).

pub mod auth;
