//! Telegram ingress: the HTTP webhook of the cluster and long polling of the all-in-one mode.
//! Ingress only moves raw updates into the updates queue.
#![forbid(unsafe_code)]

pub mod http;
pub mod poll;
