//! Telegram Stars end to end through `scribe run`: the package menu, invoices, pre-checkout
//! validation, a payment delivered twice, refunds, and balances that stay exact.

use scribe_fakes::telegram::{FileKind, MemberStatus, TgGroup, TgUser, update};
use scribe_fakes::{wait_until, wait_until_async};
use scribe_store::JobState;
use scribe_testkit::audio::{self, Format};
use scribe_testkit::bot::{Fakes, Scribe, WAIT, ledger_rows, user};

const BIN: &str = env!("CARGO_BIN_EXE_scribe");
const ADMIN: i64 = 5000;

async fn answered(fakes: &Fakes, query_id: &str) -> (bool, Option<String>) {
    wait_until("the pre-checkout answer", WAIT, || {
        fakes
            .telegram
            .pre_checkout_answers()
            .into_iter()
            .find(|(id, _, _)| id == query_id)
            .map(|(_, ok, e)| (ok, e))
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_stars_flow_credits_once_validates_pre_checkout_and_refunds_exactly() {
    let fakes = Fakes::start().await;
    let admin_id = ADMIN.to_string();
    let scribe = Scribe::start(BIN, &fakes, &[("ADMIN_IDS", &admin_id)]).await;
    let chat = 5101;
    let ann = user(chat);

    // The menu lists every package with a button; a button sends the invoice.
    fakes
        .telegram
        .push_update(update::text(chat, &ann, "/buy_minutes"));
    let menu = fakes.wait_containing(chat, "Choose a package").await;
    let buttons = menu.reply_markup.expect("keyboard")["inline_keyboard"]
        .as_array()
        .expect("rows")
        .len();
    assert_eq!(buttons, 6);
    fakes
        .telegram
        .push_update(update::callback(chat, &ann, menu.message_id, "buy:start").0);
    let invoice = fakes
        .wait_message(chat, "the invoice", |m| m.invoice.is_some())
        .await;
    let sent = fakes.telegram.calls_of("sendInvoice").remove(0).params;
    assert_eq!(sent["currency"], "XTR");
    assert_eq!(sent["prices"][0]["amount"], 35);
    let payload = sent["payload"].as_str().expect("payload").to_owned();
    assert_eq!(payload, format!("p1:start:{chat}"));
    assert!(invoice.invoice.is_some());

    // Pre-checkout: valid, wrong amount, wrong currency, someone else paying.
    let (u, ok_id) = update::pre_checkout(&ann, "XTR", 35, &payload);
    fakes.telegram.push_update(u);
    assert_eq!(answered(&fakes, &ok_id).await, (true, None));
    let (u, cheap_id) = update::pre_checkout(&ann, "XTR", 1, &payload);
    fakes.telegram.push_update(u);
    let (ok, error) = answered(&fakes, &cheap_id).await;
    assert!(!ok && error.is_some_and(|e| e.contains("no longer valid")));
    let (u, usd_id) = update::pre_checkout(&ann, "USD", 35, &payload);
    fakes.telegram.push_update(u);
    assert!(!answered(&fakes, &usd_id).await.0);
    let (u, foreign_id) = update::pre_checkout(&user(5199), "XTR", 35, &payload);
    fakes.telegram.push_update(u);
    assert!(!answered(&fakes, &foreign_id).await.0);

    // The payment arrives twice: one credit, one thank-you.
    let first = fakes
        .telegram
        .push_successful_payment(chat, &ann, 35, &payload, "charge-start-1");
    let again = fakes
        .telegram
        .push_successful_payment(chat, &ann, 35, &payload, "charge-start-1");
    fakes.wait_containing(chat, "Thank you! 50 min added").await;
    fakes.wait_containing(ADMIN, "charge-start-1").await;
    let store = scribe.store().await;
    wait_until_async("both deliveries handled", WAIT, || async {
        let done = store.update_done("scribe", first.update_id?).await.ok()?
            && store.update_done("scribe", again.update_id?).await.ok()?;
        done.then_some(())
    })
    .await;
    let thanks = fakes
        .shown(chat)
        .iter()
        .filter(|t| t.contains("Thank you"))
        .count();
    assert_eq!(thanks, 1, "thanked once");
    let purchases: Vec<_> = ledger_rows(&store, chat, "purchase").await;
    assert_eq!(purchases.len(), 1);
    assert_eq!(purchases[0].delta, 3000);
    assert_eq!(
        store
            .user(chat)
            .await
            .expect("user")
            .expect("exists")
            .balance,
        900 + 3000
    );

    // The micro package: three purchases allowed, the fourth refused at pre-checkout.
    let micro = format!("p1:micro:{chat}");
    for i in 0..3 {
        fakes
            .telegram
            .push_successful_payment(chat, &ann, 5, &micro, &format!("charge-micro-{i}"));
    }
    wait_until_async("three micro purchases", WAIT, || async {
        let n = store
            .ledger_of(chat)
            .await
            .ok()?
            .iter()
            .filter(|r| r.reason == "purchase")
            .count();
        (n == 4).then_some(())
    })
    .await;
    let (u, limit_id) = update::pre_checkout(&ann, "XTR", 5, &micro);
    fakes.telegram.push_update(u);
    let (ok, error) = answered(&fakes, &limit_id).await;
    assert!(!ok && error.is_some_and(|e| e.contains("at most 3")));
    fakes
        .telegram
        .push_update(update::text(chat, &ann, "/buy_micro"));
    fakes
        .wait_containing(chat, "can be bought at most 3 times")
        .await;

    // Refund: Stars back at the fake, minutes removed in one ledger step, user told.
    let boss = TgUser::new(ADMIN, "Boss").lang("en");
    fakes
        .telegram
        .push_update(update::text(ADMIN, &boss, "/refund charge-start-1"));
    fakes.wait_containing(ADMIN, "Refunded 35 ⭐").await;
    assert_eq!(
        fakes.telegram.refunds(),
        vec![(chat, "charge-start-1".to_owned())]
    );
    fakes
        .wait_containing(chat, "Your payment was refunded")
        .await;
    let balance = wait_until_async("the refund applied", WAIT, || async {
        let u = store.user(chat).await.ok()??;
        (u.balance == 900 + 3000 + 3 * 600 - 3000).then_some(u.balance)
    })
    .await;
    // Telegram's own refunded_payment update changes nothing more.
    fakes
        .telegram
        .push_update(update::text(ADMIN, &boss, "/refund charge-start-1"));
    fakes.wait_containing(ADMIN, "Already refunded.").await;
    assert_eq!(
        store
            .user(chat)
            .await
            .expect("user")
            .expect("exists")
            .balance,
        balance
    );
    let refunds = ledger_rows(&store, chat, "refund").await.len();
    assert_eq!(refunds, 1);
    assert!(store.ledger_mismatches().await.expect("check").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refund_of_spent_minutes_is_refused_unless_forced_and_never_goes_below_zero() {
    let fakes = Fakes::start().await;
    fakes
        .dashscope
        .asr()
        .set_reply(|_| scribe_fakes::dashscope::Reply::Text("spent".into()));
    let admin_id = ADMIN.to_string();
    let scribe = Scribe::start(
        BIN,
        &fakes,
        &[("ADMIN_IDS", &admin_id), ("TRIAL_MODE", "off")],
    )
    .await;
    let chat = 5201;
    let bob = user(chat);
    fakes.telegram.push_successful_payment(
        chat,
        &bob,
        5,
        &format!("p1:micro:{chat}"),
        "charge-spent",
    );
    fakes.wait_containing(chat, "Thank you! 10 min added").await;
    // Spend some of it: any spending makes the balance smaller than the purchase.
    let note = audio::encode(
        &audio::say("Spend a few seconds of the minutes.", "en"),
        Format::VoiceNote,
    );
    let file = fakes.telegram.add_file(FileKind::Voice, note);
    fakes
        .telegram
        .push_update(update::voice(chat, &bob, &file, 3));
    fakes.wait_text(chat, "spent").await;
    let store = scribe.store().await;
    let before = wait_until_async("settled", WAIT, || async {
        let u = store.user(chat).await.ok()??;
        (u.held == 0).then_some(u.balance)
    })
    .await;
    assert!(before < 600, "some minutes were spent: {before}");

    let boss = TgUser::new(ADMIN, "Boss").lang("en");
    fakes
        .telegram
        .push_update(update::text(ADMIN, &boss, "/refund charge-spent"));
    fakes
        .wait_containing(ADMIN, "Refused: the user has spent the minutes")
        .await;
    assert!(
        fakes.telegram.refunds().is_empty(),
        "Telegram was not asked"
    );
    fakes
        .telegram
        .push_update(update::text(ADMIN, &boss, "/refund charge-spent force"));
    fakes.wait_containing(ADMIN, "Refunded 5 ⭐").await;
    let after = wait_until_async("refund applied", WAIT, || async {
        let u = store.user(chat).await.ok()??;
        (u.balance == 0).then_some(u.balance)
    })
    .await;
    assert_eq!(after, 0, "never below zero");
    let refund: Vec<_> = ledger_rows(&store, chat, "refund").await;
    assert_eq!(refund.len(), 1);
    assert_eq!(refund[0].delta, -before);
    assert!(store.ledger_mismatches().await.expect("check").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_purchases_and_jobs_keep_the_balance_exact() {
    let fakes = Fakes::start().await;
    fakes
        .dashscope
        .asr()
        .set_reply(|_| scribe_fakes::dashscope::Reply::Text("concurrent".into()));
    let scribe = Scribe::start(
        BIN,
        &fakes,
        &[("TRIAL_MINUTES", "1"), ("WORKER_CONCURRENCY", "4")],
    )
    .await;
    let chat = 5301;
    let eve = user(chat);
    let note = audio::encode(
        &audio::say("One two three four five.", "en"),
        Format::VoiceNote,
    );
    for i in 0..8 {
        let file = fakes.telegram.add_file(FileKind::Voice, note.clone());
        fakes
            .telegram
            .push_update(update::voice(chat, &eve, &file, 30));
        fakes.telegram.push_successful_payment(
            chat,
            &eve,
            35,
            &format!("p1:start:{chat}"),
            &format!("c-{i}"),
        );
    }
    let store = scribe.store().await;
    wait_until_async("every update handled", WAIT, || async {
        let jobs = store.jobs_of_user(chat, 100).await.ok()?;
        let settled = jobs
            .iter()
            .all(|j| j.state == JobState::Done || j.state == JobState::Failed);
        let purchases = store
            .ledger_of(chat)
            .await
            .ok()?
            .iter()
            .filter(|r| r.reason == "purchase")
            .count();
        // Polled, and nothing left in either queue (a message leaves its queue once handled):
        // no voice note is still on its way to becoming a job.
        let queued =
            store.queue_depth("updates").await.ok()? + store.queue_depth("jobs").await.ok()?;
        (fakes.telegram.pending_updates() == 0
            && queued == 0
            && settled
            && purchases == 8
            && !jobs.is_empty())
        .then_some(())
    })
    .await;
    let u = store.user(chat).await.expect("user").expect("exists");
    assert!(u.balance >= 0 && u.held == 0, "{u:?}");
    let ledger = store.ledger_of(chat).await.expect("ledger");
    let sum: i64 = ledger.iter().map(|r| r.delta).sum();
    assert_eq!(sum, u.balance, "the balance is the ledger sum");
    let charged: i64 = store
        .jobs_of_user(chat, 100)
        .await
        .expect("jobs")
        .iter()
        .map(|j| j.charged_seconds)
        .sum();
    assert_eq!(
        u.balance,
        60 + 8 * 3000 - charged,
        "every second accounted for"
    );
    assert!(store.ledger_mismatches().await.expect("check").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_payment_made_in_a_group_is_credited_once_to_the_payer() {
    let fakes = Fakes::start().await;
    let scribe = Scribe::start(BIN, &fakes, &[]).await;
    let group = TgGroup::supergroup(-100_5102, "Buyers");
    let ann = user(5102);
    fakes
        .telegram
        .set_member(&group, &ann, MemberStatus::Member);
    fakes
        .telegram
        .set_bot_member(&group, MemberStatus::Administrator);
    // Telegram tells the bot of a payment in the chat where it was made, twice here.
    let payload = format!("p1:start:{}", ann.id);
    for _ in 0..2 {
        fakes.telegram.push_update(update::successful_payment(
            &group,
            &ann,
            "XTR",
            35,
            &payload,
            "charge-group-1",
        ));
    }
    fakes
        .wait_containing(ann.id, "Thank you! 50 min added")
        .await;
    let store = scribe.store().await;
    let credits = wait_until_async("the credit", WAIT, || async {
        let rows = ledger_rows(&store, ann.id, "purchase").await;
        (!rows.is_empty()).then_some(rows)
    })
    .await;
    assert_eq!(credits.len(), 1, "credited once");
    assert_eq!(credits[0].delta, 3000);
    assert!(
        fakes.shown(group.id).is_empty(),
        "nothing about the payer's balance in the group"
    );
    store.close().await;
}
