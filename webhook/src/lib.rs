//! Telegram ingress: long polling for the all-in-one mode (the HTTP webhook for the cluster
//! joins it). Ingress only moves raw updates into the updates queue.
#![forbid(unsafe_code)]

pub mod poll;
