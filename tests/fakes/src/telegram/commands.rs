//! `setMyCommands`, `getMyCommands`, `deleteMyCommands`.

use serde_json::{Value, json};

use super::error::TgError;
use super::method::Answer;
use super::params::Params;
use super::state::Shared;

/// The storage key of a scope + language pair; a missing scope is the default one.
fn key(params: &Params) -> (String, String) {
    let scope = params
        .get("scope")
        .cloned()
        .unwrap_or_else(|| json!({"type": "default"}));
    let language = params.text("language_code").unwrap_or_default();
    (scope.to_string(), language)
}

fn check_command(command: &Value) -> Result<Value, TgError> {
    let name = command
        .get("command")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let name_ok = (1..=32).contains(&name.len())
        && name
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'_');
    if !name_ok {
        return Err(TgError::bad_request("BOT_COMMAND_INVALID"));
    }
    let description = command
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !(1..=256).contains(&description.chars().count()) {
        return Err(TgError::bad_request("BOT_COMMAND_DESCRIPTION_INVALID"));
    }
    Ok(json!({"command": name, "description": description}))
}

pub(crate) fn set_my_commands(shared: &Shared, params: &Params) -> Result<Answer, TgError> {
    let Some(list) = params.get("commands").and_then(Value::as_array) else {
        return Err(TgError::bad_request("can't parse commands JSON object"));
    };
    if list.len() > 100 {
        return Err(TgError::bad_request("BOT_COMMANDS_TOO_MUCH"));
    }
    let commands = list
        .iter()
        .map(check_command)
        .collect::<Result<Vec<_>, _>>()?;
    let key = key(params);
    let mut book = shared.book();
    if commands.is_empty() {
        book.commands.remove(&key);
    } else {
        book.commands.insert(key, commands);
    }
    Ok(json!(true).into())
}

pub(crate) fn get_my_commands(shared: &Shared, params: &Params) -> Answer {
    let commands = shared
        .book()
        .commands
        .get(&key(params))
        .cloned()
        .unwrap_or_default();
    Value::Array(commands).into()
}

pub(crate) fn delete_my_commands(shared: &Shared, params: &Params) -> Answer {
    shared.book().commands.remove(&key(params));
    json!(true).into()
}
