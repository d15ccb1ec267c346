//! Subtitles end to end against `scribe run`: a generated recording with known pauses becomes
//! `.srt` and `.vtt` documents whose cues start and end in the pauses, within 100 ms of the
//! generated speech, never over 15 s or two lines of 42 characters; parsed back from both
//! formats. `/subtitles` as a reply and `/output srt` both ask for them; the billing is the
//! plain transcript's. An OpenAI-compatible recogniser's own segments are used as they are.

use scribe_fakes::dashscope::Reply;
use scribe_fakes::openai::{FakeOpenAiAsr, Segment, TranscriptionReply};
use scribe_fakes::telegram::{BotMessage, FileKind, TgUser, update};
use scribe_fakes::wait_until_async;
use scribe_store::Store;
use scribe_testkit::audio::{self, Format};
use scribe_testkit::bot::{Fakes, Scribe, WAIT, finished_job};

const BIN: &str = env!("CARGO_BIN_EXE_scribe");

/// One cue read back from a document.
#[derive(Debug, Clone, PartialEq)]
struct ParsedCue {
    start: f64,
    end: f64,
    lines: Vec<String>,
}

fn time(text: &str, separator: char) -> f64 {
    let (hms, ms) = text.split_once(separator).expect("milliseconds");
    let parts: Vec<u64> = hms.split(':').map(|p| p.parse().expect("number")).collect();
    assert_eq!(parts.len(), 3, "{text}");
    assert_eq!(
        (hms.len(), ms.len()),
        (8, 3),
        "HH:MM:SS{separator}mmm: {text}"
    );
    (parts[0] * 3600 + parts[1] * 60 + parts[2]) as f64 + ms.parse::<f64>().expect("ms") / 1000.0
}

/// Parses SubRip (`,`) or WebVTT (`.`, after the header): numbered cues from 1, a time line,
/// text lines, a blank line.
fn parse(document: &str, separator: char) -> Vec<ParsedCue> {
    let body = match separator {
        '.' => document
            .strip_prefix("WEBVTT\n\n")
            .expect("a WEBVTT header"),
        _ => document,
    };
    let mut cues = Vec::new();
    for (i, block) in body
        .split("\n\n")
        .filter(|b| !b.trim().is_empty())
        .enumerate()
    {
        let mut lines = block.lines();
        assert_eq!(
            lines.next(),
            Some((i + 1).to_string().as_str()),
            "numbered from 1"
        );
        let times = lines.next().expect("a time line");
        let (start, end) = times.split_once(" --> ").expect("an arrow");
        cues.push(ParsedCue {
            start: time(start, separator),
            end: time(end, separator),
            lines: lines.map(str::to_owned).collect(),
        });
    }
    cues
}

fn document(messages: &[BotMessage], name: &str) -> String {
    messages
        .iter()
        .find_map(|m| m.document.as_ref().filter(|d| d.file_name == name))
        .and_then(|d| d.text().map(str::to_owned))
        .unwrap_or_else(|| panic!("no {name}"))
}

async fn documents(fakes: &Fakes, chat: i64) -> (Vec<ParsedCue>, Vec<ParsedCue>) {
    let messages = wait_until_async("the subtitle documents", WAIT, || async {
        let messages = fakes.telegram.messages(chat);
        let names: Vec<String> = messages
            .iter()
            .filter_map(|m| m.document.as_ref().map(|d| d.file_name.clone()))
            .collect();
        (names.contains(&"subtitles.srt".to_owned()) && names.contains(&"subtitles.vtt".to_owned()))
            .then_some(messages)
    })
    .await;
    let srt = parse(&document(&messages, "subtitles.srt"), ',');
    let vtt = parse(&document(&messages, "subtitles.vtt"), '.');
    (srt, vtt)
}

fn check_shape(cues: &[ParsedCue]) {
    assert!(!cues.is_empty());
    for pair in cues.windows(2) {
        assert!(
            pair[0].end <= pair[1].start + 1e-9,
            "in order, not overlapping: {pair:?}"
        );
    }
    for cue in cues {
        assert!(cue.end > cue.start, "{cue:?}");
        assert!(cue.end - cue.start <= 15.0 + 1e-9, "at most 15 s: {cue:?}");
        assert!(
            (1..=2).contains(&cue.lines.len()),
            "one or two lines: {cue:?}"
        );
        assert!(cue.lines.iter().all(|l| l.chars().count() <= 42), "{cue:?}");
    }
}

async fn credit(store: &Store, user: &TgUser) {
    store
        .touch_user(user.id, &user.first_name, None, Some("en"))
        .await
        .expect("user");
    store
        .adjust_balance(
            user.id,
            scribe_core::billing::Reason::AdminCredit,
            "seed",
            3600,
            None,
        )
        .await
        .expect("credit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn subtitles_cut_at_every_pause_and_time_the_speech() {
    let fakes = Fakes::start().await;
    fakes
        .dashscope
        .asr()
        .set_reply(|_| Reply::Text("A few words were said here.".into()));
    let scribe = Scribe::start(BIN, &fakes, &[("TRIAL_MODE", "off")]).await;
    let store = scribe.store().await;
    let user = TgUser::new(7201, "Sub").lang("en");
    credit(&store, &user).await;
    // Five phrases, pauses of 1.2 s: the pauses are known to the sample.
    let phrases = [
        "The first sentence is short.",
        "Then a second one follows.",
        "A third phrase is a little longer than the others.",
        "Four.",
        "And the fifth closes the recording.",
    ];
    let (pcm, _) = audio::recording(
        &phrases
            .iter()
            .map(|p| (audio::say(p, "en"), 1.2))
            .collect::<Vec<_>>(),
    );
    // Where the generated signal is quiet (espeak's own edges included): the pauses.
    let quiet = audio::quiet_regions(&pcm, 200, 0.6);
    assert!(quiet.len() >= 5, "{quiet:?}");
    let speech: Vec<(f64, f64)> = {
        let mut at = 0.0;
        let mut out = Vec::new();
        for (start, end) in &quiet {
            if *start > at {
                out.push((at, *start));
            }
            at = *end;
        }
        out
    };
    let bytes = audio::encode(&pcm, Format::VoiceNote);
    let seconds = audio::seconds(&pcm).round() as u32;
    let file = fakes.telegram.add_file(FileKind::Voice, bytes);
    let posted = fakes
        .telegram
        .push_update(update::voice(&user, &user, &file, seconds));
    fakes.wait_containing(user.id, "A few words").await;
    let plain = finished_job(&store, user.id).await;
    let plain_requests = fakes.dashscope.asr().calls().len();

    // /subtitles as a reply to the same note: subtitles, each phrase recognised on its own.
    fakes.telegram.push_update(update::replying_to(
        update::text(&user, &user, "/subtitles"),
        posted.message_id.expect("a message"),
    ));
    let (srt, vtt) = documents(&fakes, user.id).await;
    check_shape(&srt);
    assert_eq!(srt, vtt, "both documents say the same");
    assert_eq!(srt.len(), phrases.len(), "{srt:#?}");
    assert_eq!(
        fakes.dashscope.asr().calls().len() - plain_requests,
        phrases.len(),
        "one request per segment"
    );
    for (cue, (start, end)) in srt.iter().zip(&speech) {
        assert!(
            (cue.start - start).abs() <= 0.1,
            "starts with the speech: {cue:?} vs {start}"
        );
        assert!(
            (cue.end - end).abs() <= 0.1,
            "ends with the speech: {cue:?} vs {end}"
        );
        // In a pause, or at an end of the recording.
        let total = audio::seconds(&pcm);
        let in_pause = |t: f64| {
            t <= 0.1 || t >= total - 0.1 || quiet.iter().any(|(a, b)| t >= a - 0.1 && t <= b + 0.1)
        };
        assert!(
            in_pause(cue.start) && in_pause(cue.end),
            "{cue:?} not in a pause {quiet:?}"
        );
    }
    // Billed as the plain transcript was.
    let job = wait_until_async("the subtitle job done", WAIT, || async {
        store
            .jobs_of_user(user.id, 5)
            .await
            .ok()?
            .into_iter()
            .find(|j| j.id != plain.id && j.state == scribe_store::JobState::Done)
    })
    .await;
    assert_eq!(job.charged_seconds, plain.charged_seconds);
    assert!(job.settings_key.contains("subs=1"), "{}", job.settings_key);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn long_speech_is_cut_at_its_quietest_point_into_cues_of_two_short_lines() {
    let fakes = Fakes::start().await;
    let words = "Here the speaker went on and on without a single real pause between her \
                 words and sentences so that the recogniser hears a very long stretch";
    let reply = words.to_owned();
    fakes
        .dashscope
        .asr()
        .set_reply(move |_| Reply::Text(reply.clone()));
    let scribe = Scribe::start(BIN, &fakes, &[("TRIAL_MODE", "off")]).await;
    let store = scribe.store().await;
    let user = TgUser::new(7202, "Long").lang("en");
    credit(&store, &user).await;
    fakes
        .telegram
        .push_update(update::text(&user, &user, "/output srt"));
    fakes.wait_containing(user.id, "ubtitles").await;
    // About 35 s of speech with only espeak's short breaths in it.
    let text = "the quick brown fox jumps over the lazy dog and keeps running through the \
                field while the farmer watches from his old wooden porch and thinks about \
                the harvest that will come in autumn when the leaves turn red and gold";
    let pcm = [audio::say(text, "en"), audio::say(text, "en")].concat();
    let file = fakes
        .telegram
        .add_file(FileKind::Voice, audio::encode(&pcm, Format::VoiceNote));
    fakes.telegram.push_update(update::voice(
        &user,
        &user,
        &file,
        audio::seconds(&pcm).round() as u32,
    ));
    let (srt, _) = documents(&fakes, user.id).await;
    check_shape(&srt);
    let total = audio::seconds(&pcm);
    assert!(srt.last().expect("cues").end <= total + 0.1);
    // The text is there too, as usual, with the action row.
    fakes.wait_containing(user.id, "went on and on").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_openai_recogniser_times_its_own_segments() {
    let fakes = Fakes::start().await;
    let whisper = FakeOpenAiAsr::start("sk-whisper").await;
    whisper.transcriptions().set_reply(|call| {
        if call.response_format == "verbose_json" {
            TranscriptionReply::Segments(vec![
                Segment {
                    start: 0.5,
                    end: 2.25,
                    text: " Hello there.".into(),
                },
                Segment {
                    start: 3.0,
                    end: 4.5,
                    text: " General Kenobi.".into(),
                },
            ])
        } else {
            TranscriptionReply::Text("plain".into())
        }
    });
    let base = whisper.base_url();
    let scribe = Scribe::start(
        BIN,
        &fakes,
        &[
            ("TRIAL_MODE", "off"),
            ("ASR_PROVIDER", "openai"),
            ("OPENAI_ASR_BASE_URL", &base),
            ("OPENAI_ASR_API_KEY", "sk-whisper"),
            ("ASR_MODEL", "whisper-1"),
        ],
    )
    .await;
    let store = scribe.store().await;
    let user = TgUser::new(7203, "Whis").lang("en");
    credit(&store, &user).await;
    fakes
        .telegram
        .push_update(update::text(&user, &user, "/output srt"));
    fakes.wait_containing(user.id, "ubtitles").await;
    let (pcm, _) = audio::recording(&[
        (audio::say("hello there", "en"), 2.0),
        (audio::say("general kenobi", "en"), 2.0),
    ]);
    let file = fakes
        .telegram
        .add_file(FileKind::Voice, audio::encode(&pcm, Format::VoiceNote));
    fakes
        .telegram
        .push_update(update::voice(&user, &user, &file, 6));
    let (srt, vtt) = documents(&fakes, user.id).await;
    assert_eq!(
        srt,
        vec![
            ParsedCue {
                start: 0.5,
                end: 2.25,
                lines: vec!["Hello there.".into()]
            },
            ParsedCue {
                start: 3.0,
                end: 4.5,
                lines: vec!["General Kenobi.".into()]
            },
        ]
    );
    assert_eq!(srt, vtt);
    let calls = whisper.transcriptions().calls();
    assert_eq!(
        calls.len(),
        1,
        "the usual single chunk, no per-pause requests"
    );
    assert_eq!(calls[0].call.response_format, "verbose_json");
}
