//! Transcript actions: the button row under a delivered transcript (Summary, Action items,
//! Translate → languages). A press is decided at once where it was pressed — not yours, gone
//! with retention or `/forget`, already answered, being answered, too little balance — and a
//! press that runs is claimed in the store and answered from the jobs queue, where the language
//! models are asked: from the answer kept with the transcript when there is one, else through
//! the formatter chain. It counts against `ACTIONS_PER_DAY` and beyond that costs
//! `ACTION_SECONDS`, charged once per job and action after the answer went out.

use scribe_core::i18n::{Label, Lang, Msg};
use scribe_core::telemetry::chain;
use scribe_core::time::now_secs;
use scribe_queue::{Message as QueueMessage, QueueName};
use scribe_store::{ActionAnswer, ActionPrice, Cost, Job, Press, Transcript, User};
use scribe_telegram::{CallbackQuery, InlineButton, InlineKeyboard};

use crate::buttons::{Action, Button};
use crate::context::Context;
use crate::delivery::{self, Recipient};
use crate::error::Result;
use crate::messages::{ActRef, JobMessage};
use crate::pipeline::prompts::Task;

/// A press still `running` after this long lost its worker: it may be pressed again.
const STALE_PRESS_SECONDS: i64 = 600;

/// Languages the Translate button always offers (the user's own is added).
const OFFERED_LANGUAGES: [&str; 2] = ["en", "ru"];

/// Languages a translation can be asked for, besides the offered ones: a user's Telegram
/// language among these gets its own button.
const OWN_LANGUAGES: &[&str] = &[
    "uk", "de", "fr", "es", "it", "pt", "tr", "zh", "ja", "ko", "ar", "pl", "kk", "uz",
];

impl Action {
    fn task(&self) -> Task<'_> {
        match self {
            Action::Summary => Task::Summary,
            Action::ActionItems => Task::ActionItems,
            Action::Translate(language) => Task::Translate(language),
        }
    }

    fn label(&self) -> Label<'_> {
        match self {
            Action::Summary => Label::Summary,
            Action::ActionItems => Label::ActionItems,
            Action::Translate(language) => Label::TranslateInto { language },
        }
    }
}

/// The row under a delivered transcript.
pub fn keyboard(job_id: i64, lang: Lang) -> InlineKeyboard {
    let button =
        |label: Label<'_>, data: Button| InlineButton::callback(label.render(lang), data.data());
    InlineKeyboard {
        inline_keyboard: vec![vec![
            button(
                Label::Summary,
                Button::Action {
                    job_id,
                    action: Action::Summary,
                },
            ),
            button(
                Label::ActionItems,
                Button::Action {
                    job_id,
                    action: Action::ActionItems,
                },
            ),
            button(Label::Translate, Button::Languages { job_id }),
        ]],
    }
}

/// The languages Translate offers `user`: English, Russian, and theirs.
fn languages_keyboard(job_id: i64, user: &User, lang: Lang) -> InlineKeyboard {
    let own = user
        .language_code
        .as_deref()
        .and_then(|code| code.split(['-', '_']).next())
        .map(str::to_ascii_lowercase)
        .filter(|code| OWN_LANGUAGES.contains(&code.as_str()));
    let row = OFFERED_LANGUAGES
        .iter()
        .map(|l| (*l).to_owned())
        .chain(own)
        .map(|language| {
            let action = Action::Translate(language);
            InlineButton::callback(
                action.label().render(lang),
                Button::Action { job_id, action }.data(),
            )
        })
        .collect();
    InlineKeyboard {
        inline_keyboard: vec![row],
    }
}

fn price(ctx: &Context) -> ActionPrice {
    ActionPrice {
        per_day: ctx.billing.actions_per_day,
        seconds: ctx.billing.action_seconds,
    }
}

/// Whether `user` may press the buttons of `job`: they asked for it.
fn asked_for(job: &Job, user: &User) -> bool {
    job.requested_by.unwrap_or(job.user_id) == user.id
}

/// Translate was pressed: the transcript's row becomes the languages.
pub async fn languages(
    ctx: &Context,
    query: &CallbackQuery,
    user: &User,
    job_id: i64,
) -> Result<()> {
    let lang = ctx.lang_of(user);
    let toast = match ctx.store.job(job_id).await? {
        Some(job) if asked_for(&job, user) => {
            if let Some(message) = &query.message {
                ctx.telegram
                    .edit_message_reply_markup(
                        message.chat.id,
                        message.message_id,
                        &languages_keyboard(job_id, user, lang),
                    )
                    .await?;
            }
            None
        }
        _ => Some(Msg::ActionNotYours.render(lang)),
    };
    answer(ctx, query, toast.as_deref()).await
}

/// An action button was pressed: decide it here, and run it from the jobs queue.
pub async fn press(
    ctx: &Context,
    query: &CallbackQuery,
    user: &User,
    job_id: i64,
    action: Action,
) -> Result<()> {
    let lang = ctx.lang_of(user);
    let now = now_secs();
    let key = action.key();
    let job = ctx.store.job(job_id).await?;
    let Some(job) = job.filter(|j| asked_for(j, user)) else {
        return answer(ctx, query, Some(&Msg::ActionNotYours.render(lang))).await;
    };
    if ctx.store.transcript_of_job(job.id, now).await?.is_none() {
        ctx.metrics.action(action.kind(), "gone");
        return answer(ctx, query, Some(&Msg::TranscriptGone.render(lang))).await;
    }
    let (cost, affordable) = ctx.store.next_press_cost(user.id, price(ctx), now).await?;
    if !affordable {
        ctx.metrics.action(action.kind(), "balance");
        return refuse_unaffordable(ctx, query, &job, user, cost).await;
    }
    match ctx
        .store
        .claim_press(job.id, &key, user.id, now, STALE_PRESS_SECONDS)
        .await?
    {
        Press::Done => answer(ctx, query, Some(&Msg::ActionAnswered.render(lang))).await,
        Press::Running => answer(ctx, query, Some(&Msg::ActionWorking.render(lang))).await,
        Press::Claimed => run_claimed(ctx, query, &job, &action, lang).await,
    }
}

/// Says the press needs a balance the presser lacks. Balances are private: in a group only the
/// presser sees it, as the button's notice.
async fn refuse_unaffordable(
    ctx: &Context,
    query: &CallbackQuery,
    job: &Job,
    user: &User,
    cost: Cost,
) -> Result<()> {
    let seconds = match cost {
        Cost::Charged(s) => s,
        Cost::Free => 0,
    };
    let text = Msg::ActionNeedsBalance {
        per_day: ctx.billing.actions_per_day,
        cost_seconds: seconds,
        balance: user.balance,
    }
    .render(ctx.lang_of(user));
    if job.chat_id != user.id {
        return answer(ctx, query, Some(&text)).await;
    }
    answer(ctx, query, None).await?;
    crate::replies::reply(ctx, job.chat_id, &text).await
}

/// A claimed press goes to the jobs queue (released again when it cannot be published); a
/// Translate press also puts the transcript's own row back in place of the languages.
async fn run_claimed(
    ctx: &Context,
    query: &CallbackQuery,
    job: &Job,
    action: &Action,
    lang: Lang,
) -> Result<()> {
    let key = action.key();
    let message = JobMessage::Act {
        act: ActRef {
            job_id: job.id,
            action: key.clone(),
            message_id: query.message.as_ref().map(|m| m.message_id),
        },
    };
    let published = ctx
        .queue
        .publish(
            QueueName::Jobs,
            QueueMessage {
                payload: message.to_bytes(),
                trace_id: job.trace_id.clone(),
            },
        )
        .await;
    if let Err(error) = published {
        ctx.store.release_press(job.id, &key).await?;
        return Err(error.into());
    }
    if let (Action::Translate(_), Some(message)) = (action, &query.message)
        && let Err(error) = ctx
            .telegram
            .edit_message_reply_markup(message.chat.id, message.message_id, &keyboard(job.id, lang))
            .await
    {
        tracing::debug!(error = %chain(&error), "could not restore the action row");
    }
    answer(ctx, query, Some(&Msg::ActionWorking.render(lang))).await
}

async fn answer(ctx: &Context, query: &CallbackQuery, toast: Option<&str>) -> Result<()> {
    match ctx.telegram.answer_callback_query(&query.id, toast).await {
        Err(e) if !e.is_query_too_old() => Err(e.into()),
        _ => Ok(()),
    }
}

/// Answers a claimed press (from the jobs queue): the kept answer, or a new one from the
/// formatter chain; then counts and charges it. With no answer, the press is released so it
/// can be pressed again.
pub async fn run(ctx: &Context, act: &ActRef) -> Result<()> {
    let Some(action) = Action::parse(&act.action) else {
        tracing::warn!(action = %act.action, "unknown action; dropped");
        return Ok(());
    };
    let key = action.key();
    let Some(job) = ctx.store.job(act.job_id).await? else {
        return Ok(());
    };
    let presser = job.requested_by.unwrap_or(job.user_id);
    let Some(user) = ctx.store.user(presser).await? else {
        return Ok(());
    };
    let lang = ctx.lang_of(&user);
    let now = now_secs();
    let say = |html: String| async move {
        crate::replies::send_with(ctx, job.chat_id, &html, &reply_options(act.message_id)).await
    };
    let Some(transcript) = ctx.store.transcript_of_job(job.id, now).await? else {
        ctx.store.release_press(job.id, &key).await?;
        ctx.metrics.action(action.kind(), "gone");
        return say(Msg::TranscriptGone.render(lang)).await;
    };
    let Some(answer) = answer_for(ctx, &action, &transcript).await? else {
        ctx.store.release_press(job.id, &key).await?;
        return say(Msg::ActionUnavailable.render(lang)).await;
    };
    let heading = action.label().render(lang);
    let text = format!("{heading}\n\n{}", answer.text);
    let parts = delivery::plan(
        &text,
        &user.settings(),
        ctx.delivery.file_threshold_chars,
        lang,
        0,
        None,
    );
    let recipient = Recipient {
        telegram: &ctx.telegram,
        backoff: ctx.telegram_backoff,
        chat_id: job.chat_id,
        reply_to: act.message_id.unwrap_or(job.reply_target()),
        status_message_id: None,
    };
    for part in &parts {
        recipient.send(part, None).await?;
    }
    // What it cost is said in private only: balances are nobody else's business.
    if let Some(seconds) = charge(ctx, job.id, &key).await?
        && job.chat_id == user.id
    {
        say(Msg::ActionCharged { seconds }.render(lang)).await?;
    }
    Ok(())
}

/// The action's answer for `transcript`: the one kept with it, else a new one from the
/// formatter chain (then kept). `None` when no model gave a usable one.
async fn answer_for(
    ctx: &Context,
    action: &Action,
    transcript: &Transcript,
) -> Result<Option<ActionAnswer>> {
    let key = action.key();
    if let Some(kept) = ctx.store.action_answer(transcript.id, &key).await? {
        ctx.metrics.action(action.kind(), "cached");
        return Ok(Some(kept));
    }
    let Some(answer) = ctx.pipeline.act(action.task(), &transcript.text).await else {
        ctx.metrics.action(action.kind(), "unavailable");
        return Ok(None);
    };
    let answer = ActionAnswer {
        text: answer.text,
        model: answer.model,
    };
    ctx.store
        .keep_action_answer(transcript.id, &key, &answer, now_secs())
        .await?;
    ctx.metrics.action(action.kind(), "ok");
    Ok(Some(answer))
}

/// Finishes an answered press: free within the day's allowance, else charged once. Returns
/// the seconds charged.
async fn charge(ctx: &Context, job_id: i64, key: &str) -> Result<Option<i64>> {
    match ctx
        .store
        .finish_press(job_id, key, price(ctx), now_secs())
        .await
    {
        Ok(Cost::Free) => Ok(None),
        Ok(Cost::Charged(seconds)) => {
            ctx.metrics.balance("action", seconds);
            Ok(Some(seconds))
        }
        Err(scribe_store::Error::Insufficient { .. }) => {
            // The balance was spent between the press and the answer: this one is free.
            tracing::warn!("balance gone before an action was charged; not charged");
            let free = ActionPrice {
                seconds: 0,
                ..price(ctx)
            };
            ctx.store
                .finish_press(job_id, key, free, now_secs())
                .await?;
            Ok(None)
        }
        Err(error) => {
            tracing::warn!(error = %chain(&error), "could not record an answered action");
            Err(error.into())
        }
    }
}

fn reply_options(message_id: Option<i64>) -> scribe_telegram::TextOptions {
    let options = scribe_telegram::TextOptions::html();
    match message_id {
        Some(id) => options.replying_to(id),
        None => options,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_keys_read_back_and_forged_ones_do_not() {
        for action in [
            Action::Summary,
            Action::ActionItems,
            Action::Translate("de".into()),
            Action::Translate("pt-br".into()),
        ] {
            assert_eq!(Action::parse(&action.key()), Some(action));
        }
        for forged in [
            "",
            "sum",
            "tr-",
            "tr-DE",
            "tr-deutsch",
            "tr-de-",
            "tr-de-x",
            "tr-<b>",
        ] {
            assert_eq!(Action::parse(forged), None, "{forged}");
        }
    }
}
