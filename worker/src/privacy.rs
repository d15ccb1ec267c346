//! What the bot keeps and for how long, in the user's hands: `/privacy` says it, `/retention`
//! changes it (a group admin's for the group's transcripts), `/forget` deletes a user's content
//! after a confirm button. Audio is never kept.

use scribe_core::i18n::{Label, Lang, Msg};
use scribe_store::{Keep, TranscriptOwner, User};
use scribe_telegram::{InlineButton, InlineKeyboard, TextOptions};

use crate::buttons::Button;
use crate::context::Context;
use crate::error::Result;
use crate::replies::{reply, reply_with};

/// `off`, `1d`, `7d`, `30d` (and any `<n>d` up to a year) → days (0: nothing kept).
pub fn parse_retention(arg: &str) -> Option<i64> {
    match arg {
        "off" | "0" | "0d" => Some(0),
        other => other
            .strip_suffix('d')
            .and_then(|n| n.parse::<i64>().ok())
            .filter(|n| (1..=365).contains(n)),
    }
}

/// The days `owner` keeps transcripts for, given its own setting.
pub fn retention_days(ctx: &Context, setting: Option<i64>) -> i64 {
    setting.unwrap_or(ctx.privacy.retention_days)
}

/// How long `owner` (whose own retention setting is `setting`) keeps a transcript; `None`
/// when nothing is kept.
pub fn keep(ctx: &Context, owner: TranscriptOwner, setting: Option<i64>) -> Option<Keep> {
    let days = retention_days(ctx, setting);
    (days > 0).then_some(Keep { owner, days })
}

/// `/privacy` for `owner` (its retention `days`), answered in `chat`.
pub async fn show(
    ctx: &Context,
    chat: i64,
    owner: TranscriptOwner,
    days: i64,
    lang: Lang,
) -> Result<()> {
    let kept = ctx.store.transcripts_of(owner).await?.len();
    let text = Msg::Privacy {
        days,
        kept,
        group: matches!(owner, TranscriptOwner::Chat(_)),
    }
    .render(lang);
    reply(ctx, chat, &text).await
}

/// `/retention <arg>` for `owner`; `None` when the argument is not a retention.
pub async fn set(
    ctx: &Context,
    owner: TranscriptOwner,
    arg: &str,
    lang: Lang,
) -> Result<Option<String>> {
    let Some(days) = parse_retention(arg) else {
        return Ok(None);
    };
    ctx.store
        .set_retention(owner, Some(days), ctx.privacy.retention_days)
        .await?;
    Ok(Some(Msg::RetentionSet { days }.render(lang)))
}

/// `/forget`: asks first.
pub async fn ask_forget(ctx: &Context, user: &User, lang: Lang) -> Result<()> {
    let keyboard = InlineKeyboard {
        inline_keyboard: vec![vec![
            InlineButton::callback(
                Label::ForgetYes.render(lang),
                Button::Forget { confirm: true }.data(),
            ),
            InlineButton::callback(
                Label::ForgetNo.render(lang),
                Button::Forget { confirm: false }.data(),
            ),
        ]],
    };
    reply_with(ctx, user.id, &Msg::ForgetConfirm.render(lang), keyboard).await
}

/// The answer to `/forget`'s buttons; the question is edited into the outcome.
pub async fn forget(
    ctx: &Context,
    user: &User,
    confirm: bool,
    message_id: Option<i64>,
    lang: Lang,
) -> Result<()> {
    let text = if confirm {
        let forgotten = ctx.store.forget_user(user.id).await?;
        tracing::info!(
            transcripts = forgotten.transcripts,
            jobs = forgotten.jobs,
            "user content forgotten"
        );
        Msg::ForgetDone {
            transcripts: forgotten.transcripts,
        }
        .render(lang)
    } else {
        Msg::ForgetCancelled.render(lang)
    };
    match message_id {
        Some(id) => Ok(ctx
            .telegram
            .edit_message_text(user.id, id, &text, &TextOptions::html())
            .await?),
        None => reply(ctx, user.id, &text).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retentions_are_parsed() {
        assert_eq!(parse_retention("off"), Some(0));
        assert_eq!(parse_retention("1d"), Some(1));
        assert_eq!(parse_retention("30d"), Some(30));
        assert_eq!(parse_retention("366d"), None);
        assert_eq!(parse_retention("7"), None);
        assert_eq!(parse_retention("forever"), None);
    }
}
