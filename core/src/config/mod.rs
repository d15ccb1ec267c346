//! Configuration: one typed struct per component ([`components`]), read once from the
//! environment ([`env`]), every setting documented in one table ([`settings`]).

mod components;
mod env;
pub mod settings;

pub use components::*;
pub use env::{ConfigErrors, Env};
pub use settings::{SETTINGS, Setting};
