//! The Bot API methods the fake implements, and dispatch to their implementations.

use serde_json::Value;

use super::error::TgError;
use super::params::Params;
use super::state::Shared;
use super::{Upload, commands, files, members, messages, payments, updates};

/// A Bot API method the fake implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Method {
    GetMe,
    GetUpdates,
    SetWebhook,
    DeleteWebhook,
    GetWebhookInfo,
    GetFile,
    GetChatMember,
    SendMessage,
    EditMessageText,
    EditMessageReplyMarkup,
    DeleteMessage,
    SendDocument,
    SendChatAction,
    AnswerCallbackQuery,
    SetMyCommands,
    GetMyCommands,
    DeleteMyCommands,
    SendInvoice,
    AnswerPreCheckoutQuery,
    RefundStarPayment,
}

impl Method {
    const ALL: [Self; 20] = [
        Self::GetMe,
        Self::GetUpdates,
        Self::SetWebhook,
        Self::DeleteWebhook,
        Self::GetWebhookInfo,
        Self::GetFile,
        Self::GetChatMember,
        Self::SendMessage,
        Self::EditMessageText,
        Self::EditMessageReplyMarkup,
        Self::DeleteMessage,
        Self::SendDocument,
        Self::SendChatAction,
        Self::AnswerCallbackQuery,
        Self::SetMyCommands,
        Self::GetMyCommands,
        Self::DeleteMyCommands,
        Self::SendInvoice,
        Self::AnswerPreCheckoutQuery,
        Self::RefundStarPayment,
    ];

    /// The documented camelCase name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::GetMe => "getMe",
            Self::GetUpdates => "getUpdates",
            Self::SetWebhook => "setWebhook",
            Self::DeleteWebhook => "deleteWebhook",
            Self::GetWebhookInfo => "getWebhookInfo",
            Self::GetFile => "getFile",
            Self::GetChatMember => "getChatMember",
            Self::SendMessage => "sendMessage",
            Self::EditMessageText => "editMessageText",
            Self::EditMessageReplyMarkup => "editMessageReplyMarkup",
            Self::DeleteMessage => "deleteMessage",
            Self::SendDocument => "sendDocument",
            Self::SendChatAction => "sendChatAction",
            Self::AnswerCallbackQuery => "answerCallbackQuery",
            Self::SetMyCommands => "setMyCommands",
            Self::GetMyCommands => "getMyCommands",
            Self::DeleteMyCommands => "deleteMyCommands",
            Self::SendInvoice => "sendInvoice",
            Self::AnswerPreCheckoutQuery => "answerPreCheckoutQuery",
            Self::RefundStarPayment => "refundStarPayment",
        }
    }

    /// The key of the method's failure queue.
    pub(crate) fn key(self) -> String {
        self.name().to_ascii_lowercase()
    }

    /// Method names are case-insensitive.
    pub(crate) fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|method| method.name().eq_ignore_ascii_case(name))
    }
}

/// A successful result, with the optional `description` some methods add.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Answer {
    pub(crate) result: Value,
    pub(crate) description: Option<&'static str>,
}

impl From<Value> for Answer {
    fn from(result: Value) -> Self {
        Self {
            result,
            description: None,
        }
    }
}

/// Runs one method against the fake's state.
pub(crate) async fn execute(
    shared: &Shared,
    method: Method,
    params: &Params,
    upload: Option<Upload>,
) -> Result<Answer, TgError> {
    match method {
        Method::GetMe => Ok(updates::get_me(shared)),
        Method::GetUpdates => updates::get_updates(shared, params).await,
        Method::SetWebhook => updates::set_webhook(shared, params),
        Method::DeleteWebhook => Ok(updates::delete_webhook(shared, params)),
        Method::GetWebhookInfo => Ok(updates::get_webhook_info(shared)),
        Method::GetFile => files::get_file(shared, params).await,
        Method::GetChatMember => members::get_chat_member(shared, params),
        Method::SendMessage => messages::send_message(shared, params),
        Method::EditMessageText => messages::edit_message_text(shared, params),
        Method::EditMessageReplyMarkup => messages::edit_message_reply_markup(shared, params),
        Method::DeleteMessage => messages::delete_message(shared, params),
        Method::SendDocument => messages::send_document(shared, params, upload),
        Method::SendChatAction => messages::send_chat_action(shared, params),
        Method::AnswerCallbackQuery => messages::answer_callback_query(shared, params),
        Method::SetMyCommands => commands::set_my_commands(shared, params),
        Method::GetMyCommands => Ok(commands::get_my_commands(shared, params)),
        Method::DeleteMyCommands => Ok(commands::delete_my_commands(shared, params)),
        Method::SendInvoice => payments::send_invoice(shared, params),
        Method::AnswerPreCheckoutQuery => payments::answer_pre_checkout_query(shared, params),
        Method::RefundStarPayment => payments::refund_star_payment(shared, params),
    }
}
