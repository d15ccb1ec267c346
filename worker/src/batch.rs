//! Forwarded batches: voice and audio messages forwarded to the bot in private within a few
//! seconds of each other come back as one transcript, in their original order, each part headed
//! by its original sender and time, charged once for the sum. Each forwarded part is kept as it
//! arrives and a closer is scheduled `BATCH_WINDOW_SECONDS` later on the jobs queue; the closer
//! that still sees the same number of parts (nothing arrived since) turns them into one job. A
//! forwarded copy of something already transcribed is answered from the cache at once instead.

use scribe_core::media::{Media, MediaKind};
use scribe_core::time::now_secs;
use scribe_queue::{Message as QueueMessage, QueueName};
use scribe_store::{BatchPart, JobPart, User};
use scribe_telegram::{ForwardOrigin, Message};

use crate::context::Context;
use crate::error::Result;
use crate::intake::{self, Request};
use crate::messages::{BatchRef, JobMessage};
use crate::privacy;
use crate::recognition::Recognition;

/// At most this many parts make one transcript (Telegram forwards up to 100 at once).
pub const MAX_PARTS: usize = 50;

/// True for what batches: a forwarded voice message or audio file.
pub fn batches(message: &Message, media: &Media) -> bool {
    message.forward_origin.is_some() && matches!(media.kind, MediaKind::Voice | MediaKind::Audio)
}

/// A forwarded part: answered from the cache when it can be, else kept for its batch.
pub async fn collect(
    ctx: &Context,
    user: &User,
    update_id: i64,
    message: &Message,
    media: Media,
    origin: &ForwardOrigin,
    trace_id: &str,
) -> Result<()> {
    let keeps = privacy::retention_days(ctx, user.retention_days) > 0;
    let recognition = Recognition::of_user(user);
    if keeps
        && ctx
            .store
            .cached_transcript(&media.file_unique_id, &recognition.key(), now_secs())
            .await?
            .is_some()
    {
        return intake::handle(
            ctx,
            Request::private(ctx, user, update_id, message.message_id, media, trace_id),
        )
        .await;
    }
    let part = BatchPart {
        bot: ctx.bot.name.clone(),
        chat_id: message.chat.id,
        message_id: message.message_id,
        user_id: user.id,
        update_id,
        media_kind: media.kind.as_str().to_owned(),
        file_id: media.file_id,
        file_unique_id: media.file_unique_id,
        file_size: media.file_size,
        reported_seconds: media.duration.unwrap_or(0),
        sender: origin.sender(),
        sent_at: origin.date(),
        trace_id: trace_id.to_owned(),
    };
    let parts = ctx.store.add_batch_part(&part).await?;
    let closer = JobMessage::CloseBatch {
        close_batch: BatchRef {
            chat_id: part.chat_id,
            parts,
        },
    };
    ctx.queue
        .publish_after(
            QueueName::Jobs,
            QueueMessage {
                payload: closer.to_bytes(),
                trace_id: trace_id.to_owned(),
            },
            ctx.privacy.batch_window,
        )
        .await?;
    Ok(())
}

/// A closer came due: when the chat's batch still holds the parts it saw, they become jobs
/// (one per [`MAX_PARTS`]; a lone part is an ordinary job).
pub async fn close(ctx: &Context, batch: BatchRef) -> Result<()> {
    let Some(parts) = ctx
        .store
        .take_batch(&ctx.bot.name, batch.chat_id, batch.parts)
        .await?
    else {
        return Ok(());
    };
    let Some(user) = ctx.store.user(batch.chat_id).await? else {
        return Ok(());
    };
    for group in parts.chunks(MAX_PARTS) {
        start(ctx, &user, group).await?;
    }
    Ok(())
}

fn media_of(part: &BatchPart) -> Media {
    Media {
        kind: if part.media_kind == MediaKind::Audio.as_str() {
            MediaKind::Audio
        } else {
            MediaKind::Voice
        },
        file_id: part.file_id.clone(),
        file_unique_id: part.file_unique_id.clone(),
        file_size: part.file_size,
        duration: Some(part.reported_seconds),
        mime_type: None,
        file_name: None,
    }
}

async fn start(ctx: &Context, user: &User, parts: &[BatchPart]) -> Result<()> {
    let Some(first) = parts.first() else {
        return Ok(());
    };
    if parts.len() == 1 {
        let request = Request::private(
            ctx,
            user,
            first.update_id,
            first.message_id,
            media_of(first),
            &first.trace_id,
        );
        return intake::handle(ctx, request).await;
    }
    let total: i64 = parts.iter().map(|p| p.reported_seconds).sum();
    let mut media = media_of(first);
    media.duration = Some(total);
    media.file_size = None;
    let request = Request {
        // Each part has a time base of its own: a batch has no subtitles.
        recognition: Recognition {
            subtitles: false,
            ..Recognition::of_user(user)
        },
        parts: parts
            .iter()
            .enumerate()
            .map(|(idx, p)| JobPart {
                idx: i64::try_from(idx).unwrap_or(i64::MAX),
                file_id: p.file_id.clone(),
                file_unique_id: p.file_unique_id.clone(),
                file_size: p.file_size,
                reported_seconds: p.reported_seconds,
                sender: p.sender.clone(),
                sent_at: p.sent_at,
            })
            .collect(),
        ..Request::private(
            ctx,
            user,
            first.update_id,
            first.message_id,
            media,
            &first.trace_id,
        )
    };
    intake::handle(ctx, request).await
}
