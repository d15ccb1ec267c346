//! The bot in groups. Quiet by default: a member replies `/t` (or `/transcribe`) to media and
//! pays for it; a group admin (checked with `getChatMember`, never trusted from the message)
//! switches auto mode on and sponsors every voice and video note within a daily cap; group
//! settings are changed by group admins only. Nothing said in a group names anyone's balance.
//! A group that becomes a supergroup keeps its settings and transcripts.

use scribe_core::commands::{Audience, Command};
use scribe_core::i18n::{Label, Lang, Msg};
use scribe_core::time::now_secs;
use scribe_store::{DailyCap, Group, TranscriptOwner, User, epoch_day};
use scribe_telegram::{InlineButton, InlineKeyboard, MediaKind, Message, TextOptions};

use crate::commands::{Invocation, parse};
use crate::context::Context;
use crate::error::Result;
use crate::glossary::{self, Edit};
use crate::intake::{self, Origin, Request};
use crate::recognition::Recognition;
use crate::replies::send_with;
use crate::{privacy, settings, trials};

/// Minutes a day auto mode pays when `/auto on` names none.
const DEFAULT_AUTO_MINUTES: i64 = 60;

/// The language the group's replies are in: the group's pinned language when it is one the
/// bot speaks, else the asking member's.
fn lang_in(ctx: &Context, group: &Group, member: Option<&User>) -> Lang {
    group
        .asr_language
        .as_deref()
        .and_then(Lang::from_code)
        .or_else(|| member.map(|m| ctx.lang_of(m)))
        .unwrap_or(Lang::En)
}

/// A message in a group or supergroup.
pub async fn on_message(
    ctx: &Context,
    update_id: i64,
    message: &Message,
    trace_id: &str,
) -> Result<()> {
    let chat = message.chat.id;
    if let Some(to) = message.migrate_to_chat_id {
        return Ok(ctx.store.migrate_group(chat, to).await?);
    }
    if let Some(from) = message.migrate_from_chat_id {
        return Ok(ctx.store.migrate_group(from, chat).await?);
    }
    let Some(sender) = message.from.as_ref().filter(|f| !f.is_bot) else {
        return Ok(());
    };
    if let Some(text) = message.text.as_deref().filter(|t| t.starts_with('/')) {
        let Some(invocation) = parse(text, &ctx.me.username) else {
            return Ok(());
        };
        let mut member = ctx.contact(sender).await?;
        // A first contact in a group is a first contact: the trial is granted as in private.
        trials::on_contact(ctx, &mut member).await?;
        let group = ctx.store.group(chat).await?;
        return command(
            ctx,
            &group,
            &member,
            update_id,
            message,
            &invocation,
            trace_id,
        )
        .await;
    }
    let Some(media) = message
        .media()
        .filter(|m| matches!(m.kind, MediaKind::Voice | MediaKind::VideoNote))
    else {
        return Ok(());
    };
    let group = ctx.store.group(chat).await?;
    let Some(sponsor_id) = group.auto_sponsor else {
        return Ok(());
    };
    let Some(sponsor) = ctx.store.user(sponsor_id).await? else {
        return Ok(());
    };
    let now = now_secs();
    let cap = DailyCap {
        chat_id: chat,
        seconds: group.auto_daily_seconds,
        since: epoch_day(now) * 86_400,
    };
    let request = Request {
        payer: &sponsor,
        requested_by: None,
        chat_id: chat,
        message_id: message.message_id,
        reply_to: None,
        media,
        update_id,
        trace_id,
        lang: lang_in(ctx, &group, None),
        recognition: Recognition::of_group(&group),
        origin: Origin::Auto(cap),
        parts: Vec::new(),
        keep: privacy::keep(ctx, TranscriptOwner::Chat(group.id), group.retention_days),
    };
    intake::handle(ctx, request).await
}

/// True when `user` is the group's creator or an administrator, as Telegram says now.
async fn is_group_admin(ctx: &Context, chat: i64, user: i64) -> Result<bool> {
    Ok(ctx.telegram.get_chat_member(chat, user).await?.is_admin())
}

/// Whether the bot sees every message of the group (privacy mode off, or an admin).
async fn sees_everything(ctx: &Context, chat: i64) -> Result<bool> {
    if ctx.me.reads_all_group_messages {
        return Ok(true);
    }
    is_group_admin(ctx, chat, ctx.me.id).await
}

async fn say(
    ctx: &Context,
    message: &Message,
    html: &str,
    keyboard: Option<InlineKeyboard>,
) -> Result<()> {
    let mut options = TextOptions::html().replying_to(message.message_id);
    options.reply_markup = keyboard;
    send_with(ctx, message.chat.id, html, &options).await
}

/// A member's command in a group: who may use it (group admins change settings), then one
/// match over the commands that work in groups (long for that reason); the others point to a
/// private chat.
#[allow(clippy::too_many_arguments)]
async fn command(
    ctx: &Context,
    group: &Group,
    member: &User,
    update_id: i64,
    message: &Message,
    invocation: &Invocation<'_>,
    trace_id: &str,
) -> Result<()> {
    let lang = lang_in(ctx, group, Some(member));
    let chat = group.id;
    let Some((command, _)) = Command::parse(&invocation.name) else {
        return Ok(());
    };
    let args = invocation.args.as_slice();
    let edit = (command == Command::Glossary)
        .then(|| Edit::parse(invocation.rest))
        .flatten();
    let admin_only = matches!(
        (command, args),
        (Command::Auto, [_, ..])
            | (
                Command::Language | Command::Output | Command::Retention,
                [_, ..]
            )
    ) || edit.as_ref().is_some_and(Edit::changes);
    if admin_only && !is_group_admin(ctx, chat, member.id).await? {
        return say(ctx, message, &Msg::GroupAdminsOnly.render(lang), None).await;
    }
    let usage = || {
        Msg::Usage {
            usage: command.usage(),
        }
        .render(lang)
    };
    let text = match (command, args) {
        (Command::Transcribe | Command::Subtitles, _) => {
            let asked = Asked {
                update_id,
                message,
                trace_id,
                lang,
            };
            let subtitles = command == Command::Subtitles;
            return transcribe(ctx, group, member, asked, subtitles).await;
        }
        (Command::Glossary, _) => match &edit {
            Some(edit) => {
                let owner = TranscriptOwner::Chat(chat);
                glossary::apply(ctx, owner, group.glossary.clone(), edit, lang).await?
            }
            None => usage(),
        },
        (Command::Auto, _) => auto(ctx, group, member, args, lang).await?,
        (Command::Language, [code]) => {
            settings::set_language(ctx, TranscriptOwner::Chat(chat), code, lang).await?
        }
        (Command::Output, [mode]) => {
            match settings::set_output(ctx, TranscriptOwner::Chat(chat), mode, lang).await? {
                Some(text) => text,
                None => Msg::OutputUsage.render(lang),
            }
        }
        (Command::Retention, [arg]) => {
            match privacy::set(ctx, TranscriptOwner::Chat(chat), arg, lang).await? {
                Some(text) => text,
                None => usage(),
            }
        }
        (Command::Privacy, []) => {
            let days = privacy::retention_days(ctx, group.retention_days);
            return privacy::show(ctx, chat, TranscriptOwner::Chat(chat), days, lang).await;
        }
        (Command::Language | Command::Output | Command::Retention | Command::Privacy, _) => usage(),
        (other, _) if other.audience() == Audience::Admins => return Ok(()),
        _ => {
            let keyboard = InlineKeyboard {
                inline_keyboard: vec![vec![InlineButton::link(
                    Label::OpenBot.render(lang),
                    ctx.me.start_link("group"),
                )]],
            };
            return say(ctx, message, &Msg::PrivateOnly.render(lang), Some(keyboard)).await;
        }
    };
    say(ctx, message, &text, None).await
}

/// `/auto` (state), `/auto on [minutes a day]` (the member becomes the sponsor), `/auto off`.
async fn auto(
    ctx: &Context,
    group: &Group,
    member: &User,
    args: &[&str],
    lang: Lang,
) -> Result<String> {
    let chat = group.id;
    let minutes = match args {
        [] => {
            let sponsor = match group.auto_sponsor {
                Some(id) => ctx.store.user(id).await?,
                None => None,
            };
            let used = ctx
                .store
                .auto_used_since(chat, epoch_day(now_secs()) * 86_400)
                .await?;
            return Ok(Msg::AutoState {
                sponsor: sponsor
                    .as_ref()
                    .map(|s| (s.first_name.as_str(), group.auto_daily_seconds / 60, used)),
            }
            .render(lang));
        }
        ["off"] => {
            ctx.store.set_auto(chat, None).await?;
            return Ok(Msg::AutoOff.render(lang));
        }
        ["on"] => Some(DEFAULT_AUTO_MINUTES),
        ["on", m] => m.parse::<i64>().ok().filter(|m| (1..=1440).contains(m)),
        _ => None,
    };
    let Some(minutes) = minutes else {
        return Ok(Msg::Usage {
            usage: Command::Auto.usage(),
        }
        .render(lang));
    };
    ctx.store
        .set_auto(chat, Some((member.id, minutes * 60)))
        .await?;
    let blind = !sees_everything(ctx, chat).await?;
    Ok(Msg::AutoOn {
        daily_seconds: minutes * 60,
        blind,
    }
    .render(lang))
}

/// The command message a member sent, and how to answer them.
struct Asked<'a> {
    update_id: i64,
    message: &'a Message,
    trace_id: &'a str,
    lang: Lang,
}

/// `/t` (or `/subtitles`, with `subtitles`) as a reply to media: the member who asked pays; the
/// result replies to the media.
async fn transcribe(
    ctx: &Context,
    group: &Group,
    member: &User,
    asked: Asked<'_>,
    subtitles: bool,
) -> Result<()> {
    let Asked {
        update_id,
        message,
        trace_id,
        lang,
    } = asked;
    let Some((media_message, media)) = message
        .reply_to_message
        .as_deref()
        .and_then(|m| m.media().map(|media| (m, media)))
    else {
        let usage = if subtitles {
            Msg::SubtitlesUsage
        } else {
            Msg::TranscribeUsage
        };
        return say(ctx, message, &usage.render(lang), None).await;
    };
    let request = Request {
        payer: member,
        requested_by: Some(member.id),
        chat_id: group.id,
        message_id: message.message_id,
        reply_to: Some(media_message.message_id),
        media,
        update_id,
        trace_id,
        lang,
        recognition: Recognition {
            subtitles: subtitles || group.subtitles,
            ..Recognition::of_group(group)
        },
        origin: Origin::Group,
        parts: Vec::new(),
        keep: privacy::keep(ctx, TranscriptOwner::Chat(group.id), group.retention_days),
    };
    intake::handle(ctx, request).await
}
