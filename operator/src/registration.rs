//! The bot's registration with Telegram: the webhook (`setWebhook` with the generated secret
//! token) and the command menus (`setMyCommands`: private chats and groups, English and
//! Russian), the fingerprint that tells whether Telegram must be called again, and the reconcile
//! step that asks Telegram how delivery goes and registers when needed.

use k8s_openapi::jiff::Timestamp;
use kube::runtime::events::EventType;
use scribe_core::Secret;
use scribe_core::commands::Command;
use scribe_core::i18n::{Lang, command_description};
use scribe_telegram::{self as telegram, BotCommand, CommandScope, Telegram};
use url::Url;

use crate::conditions::{self, Observed, State, reason};
use crate::controller::Context;
use crate::crd::{TranscriptionBot, TranscriptionBotStatus};
use crate::digest::sha256_hex;
use crate::error::{Error, Result, telegram_reason};
use crate::webhook_health::{self, Fetched};

/// Updates the bot handles; everything else is never sent to the webhook.
pub const ALLOWED_UPDATES: [&str; 3] = ["message", "callback_query", "pre_checkout_query"];

/// The cloud Bot API, when the bot sets no `spec.telegram.apiUrl`.
pub const DEFAULT_API_URL: &str = "https://api.telegram.org";

/// Path the webhook serves `POST` updates on.
pub const WEBHOOK_PATH: &str = "/telegram";

/// Command menu languages: `None` is the default menu, then `language_code`s.
pub const LANGUAGES: [Option<&str>; 2] = [None, Some("ru")];

/// The chats a menu is for, each with its own commands.
pub const SCOPES: [CommandScope; 2] = [CommandScope::Default, CommandScope::AllGroupChats];

/// The menu of `scope` for one language (`None`: English, the default): the commands the enum
/// marks for private chats ([`Command::menu`]) or for groups ([`Command::group_menu`]),
/// described in that language.
pub fn commands(scope: CommandScope, language: Option<&str>) -> Vec<BotCommand> {
    let lang = language.and_then(Lang::from_code).unwrap_or(Lang::En);
    let listed: Vec<Command> = match scope {
        CommandScope::Default => Command::menu().collect(),
        CommandScope::AllGroupChats => Command::group_menu().collect(),
    };
    listed
        .into_iter()
        .map(|command| BotCommand {
            command: command.name().to_owned(),
            description: command_description(command, lang).to_owned(),
        })
        .collect()
}

/// The Bot API server the bot talks to.
pub fn api_url(bot: &TranscriptionBot) -> &str {
    bot.spec
        .telegram
        .api_url
        .as_deref()
        .unwrap_or(DEFAULT_API_URL)
}

/// `<publicUrl>/telegram`.
pub fn webhook_url(bot: &TranscriptionBot) -> String {
    format!(
        "{}{WEBHOOK_PATH}",
        bot.spec.telegram.public_url.trim_end_matches('/')
    )
}

/// Fingerprint of a registration: Bot API server, webhook URL, allowed updates, both menus and a
/// hash of the token and the webhook secret. It is stored in status, so it must never reveal a credential: the
/// credentials enter only through their own SHA-256, inside this SHA-256.
pub fn fingerprint(api_url: &str, url: &str, token: &Secret, webhook_secret: &Secret) -> String {
    let credentials = sha256_hex([token.expose(), webhook_secret.expose()]);
    let menus = SCOPES
        .iter()
        .flat_map(|scope| LANGUAGES.iter().map(move |lang| (*scope, *lang)))
        .map(|(scope, lang)| {
            let list = commands(scope, lang)
                .into_iter()
                .map(|c| format!("{}={}", c.command, c.description))
                .collect::<Vec<_>>()
                .join("\n");
            format!("{}:{}:{list}", scope.as_str(), lang.unwrap_or(""))
        })
        .collect::<Vec<_>>()
        .join("\n\n");
    sha256_hex([
        api_url,
        url,
        &ALLOWED_UPDATES.join(","),
        &menus,
        credentials.as_str(),
    ])
}

/// Sets the webhook and the command menus (private chats and groups, each language).
pub async fn register_at(
    telegram: &Telegram,
    url: &str,
    webhook_secret: &Secret,
) -> telegram::Result<()> {
    telegram
        .set_webhook(url, webhook_secret, &ALLOWED_UPDATES)
        .await?;
    set_menus(telegram).await
}

/// Sets the command menus: private chats and groups, each language.
pub async fn set_menus(telegram: &Telegram) -> telegram::Result<()> {
    for scope in SCOPES {
        for language in LANGUAGES {
            telegram
                .set_my_commands(&commands(scope, language), scope, language)
                .await?;
        }
    }
    Ok(())
}

pub struct Registration {
    pub condition: Observed,
    /// `(url, fingerprint)` when Telegram was called and accepted.
    pub registered: Option<(String, String)>,
    /// What `getWebhookInfo` says about delivery, once registered.
    pub health: Option<Observed>,
    pub error: Option<scribe_telegram::Error>,
}

/// Asks Telegram how delivery goes; calls `setWebhook` (and the menus) only when the
/// registration fingerprint differs from the stored one or Telegram holds another URL.
pub async fn sync(
    ctx: &Context,
    bot: &TranscriptionBot,
    token: Secret,
    webhook_token: &Secret,
    previous: &TranscriptionBotStatus,
) -> Result<Registration> {
    let url = webhook_url(bot);
    let fingerprint = fingerprint(api_url(bot), &url, &token, webhook_token);
    let registered = Observed::new(
        conditions::WEBHOOK_REGISTERED,
        State::True,
        reason::REGISTERED,
        format!("webhook registered at {url}"),
    );
    let telegram = client(ctx, bot, token)?;
    let now = Timestamp::now().as_second();
    if previous.registration.as_deref() == Some(fingerprint.as_str()) {
        let fetched = webhook_health::fetch(&telegram).await;
        let moved = matches!(&fetched, Fetched::Info(info) if info.url != url);
        if !moved {
            return Ok(Registration {
                condition: registered,
                registered: None,
                health: Some(webhook_health::assess(&fetched, now)),
                error: None,
            });
        }
        ctx.publish(
            bot,
            EventType::Warning,
            "WebhookMoved",
            "Register",
            format!("Telegram delivers this bot's updates elsewhere; registering {url} again"),
        )
        .await;
    }
    register(ctx, bot, &telegram, (url, fingerprint), webhook_token, now).await
}

/// Calls `setWebhook` and the menus, then asks how delivery goes.
async fn register(
    ctx: &Context,
    bot: &TranscriptionBot,
    telegram: &Telegram,
    (url, fingerprint): (String, String),
    webhook_token: &Secret,
    now: i64,
) -> Result<Registration> {
    Ok(match register_at(telegram, &url, webhook_token).await {
        Ok(()) => {
            ctx.publish(
                bot,
                EventType::Normal,
                "WebhookRegistered",
                "Register",
                format!("webhook registered at {url} and commands set"),
            )
            .await;
            let fetched = webhook_health::fetch(telegram).await;
            Registration {
                condition: Observed::new(
                    conditions::WEBHOOK_REGISTERED,
                    State::True,
                    reason::REGISTERED,
                    format!("webhook registered at {url}"),
                ),
                registered: Some((url, fingerprint)),
                health: Some(webhook_health::assess(&fetched, now)),
                error: None,
            }
        }
        Err(e) => {
            let message = e.to_string();
            ctx.publish(
                bot,
                EventType::Warning,
                "WebhookRegistrationFailed",
                "Register",
                message.clone(),
            )
            .await;
            Registration {
                condition: Observed::new(
                    conditions::WEBHOOK_REGISTERED,
                    State::False,
                    telegram_reason(&e),
                    message,
                ),
                registered: None,
                health: None,
                error: Some(e),
            }
        }
    })
}

/// A Bot API client for the bot's server.
pub fn client(ctx: &Context, bot: &TranscriptionBot, token: Secret) -> Result<Telegram> {
    let api_url = Url::parse(api_url(bot)).map_err(|_| Error::InvalidSpec {
        field: "telegram.apiUrl",
    })?;
    Ok(Telegram::new(ctx.http.clone(), api_url, token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn menus_cover_every_command_in_both_languages() {
        let en = commands(CommandScope::Default, None);
        let ru = commands(CommandScope::Default, Some("ru"));
        let names: Vec<&str> = en.iter().map(|c| c.command.as_str()).collect();
        assert_eq!(
            names,
            [
                "start",
                "help",
                "balance",
                "buy_minutes",
                "settings",
                "language",
                "code",
                "yo",
                "output",
                "history",
                "trial",
                "subtitles",
                "glossary",
                "privacy",
                "retention",
                "forget"
            ]
        );
        assert_eq!(ru.len(), en.len());
        assert_ne!(ru[0].description, en[0].description);
        let groups = commands(CommandScope::AllGroupChats, None);
        let names: Vec<&str> = groups.iter().map(|c| c.command.as_str()).collect();
        assert_eq!(
            names,
            [
                "transcribe",
                "subtitles",
                "auto",
                "glossary",
                "language",
                "output",
                "retention",
                "privacy"
            ]
        );
    }

    #[test]
    fn fingerprint_changes_with_url_token_or_secret_and_hides_them() {
        let token = Secret::new("123:token");
        let secret = Secret::new("s3cret");
        let api = DEFAULT_API_URL;
        let base = fingerprint(api, "https://a/telegram", &token, &secret);
        assert_eq!(base.len(), 64);
        assert_eq!(
            base,
            fingerprint(api, "https://a/telegram", &token, &secret)
        );
        assert_ne!(
            base,
            fingerprint(api, "https://b/telegram", &token, &secret)
        );
        assert_ne!(
            base,
            fingerprint("http://local:8081", "https://a/telegram", &token, &secret)
        );
        assert_ne!(
            base,
            fingerprint(
                api,
                "https://a/telegram",
                &Secret::new("123:other"),
                &secret
            )
        );
        assert_ne!(
            base,
            fingerprint(api, "https://a/telegram", &token, &Secret::new("other"))
        );
        assert!(!base.contains("token") && !base.contains("s3cret"));
    }
}
