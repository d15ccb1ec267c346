//! Telegram ingress of the cluster: the HTTP webhook. It only moves raw updates into the
//! updates queue; it holds no database and makes no call but the queue's publish.
#![forbid(unsafe_code)]

pub mod http;
