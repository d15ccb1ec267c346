//! The budget in front of a real (fake) recogniser: the server never sees more than the budget,
//! and a throttled answer lowers the budget's rate.

use std::num::{NonZeroU32, NonZeroUsize};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use scribe_core::secret::Secret;
use scribe_fakes::dashscope::FakeDashScope;
use scribe_fakes::{RateLimit, wait_until};
use scribe_providers::dashscope::{DashScope, DashScopeAsr};
use scribe_providers::{Audio, Budget, BudgetConfig, JobBudget, Options, Transcriber};

const KEY: &str = "sk-dashscope-test";
const WAIT: Duration = Duration::from_secs(20);

fn recogniser(fake: &FakeDashScope) -> DashScopeAsr {
    let http = scribe_core::http::client(Duration::from_secs(30)).expect("client");
    DashScope::new(
        http,
        fake.base_url().parse().expect("url"),
        Secret::new(KEY),
    )
    .recogniser("qwen3-asr-flash".into())
}

fn budget(max_inflight: usize) -> Budget {
    Budget::new(BudgetConfig {
        max_inflight: NonZeroUsize::new(max_inflight).expect("non-zero"),
        requests_per_minute: NonZeroU32::new(6_000).expect("non-zero"),
    })
}

/// Sends the file through the job's budget, reporting the answer; true when it was recognised.
fn request(
    job: &Arc<JobBudget>,
    asr: &DashScopeAsr,
    path: &Arc<PathBuf>,
) -> tokio::task::JoinHandle<bool> {
    let (job, asr, path) = (Arc::clone(job), asr.clone(), Arc::clone(path));
    tokio::spawn(async move {
        let permit = job.acquire().await;
        let audio = Audio {
            path: &path,
            mime: "audio/ogg",
            file_name: "chunk.ogg",
            len: 3,
        };
        let result = asr.transcribe(audio, Options::default()).await;
        permit.finish(&result);
        result.is_ok()
    })
}

fn chunk() -> (tempfile::TempDir, Arc<PathBuf>) {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("chunk.ogg");
    std::fs::write(&path, b"ogg").expect("write");
    (dir, Arc::new(path))
}

#[tokio::test]
async fn the_recogniser_never_sees_more_in_flight_than_the_budget() {
    let fake = FakeDashScope::start(KEY).await;
    fake.asr().set_rate_limit(Some(RateLimit::in_flight(2)));
    let gate = fake.asr().gate();
    let (_dir, path) = chunk();
    let asr = recogniser(&fake);
    let budget = budget(2);
    let (long, short) = (Arc::new(budget.job()), Arc::new(budget.job()));
    let mut requests: Vec<_> = (0..5).map(|_| request(&long, &asr, &path)).collect();
    requests.push(request(&short, &asr, &path));
    wait_until("two requests at the recogniser", WAIT, || {
        (gate.waiting() == 2 && budget.waiting() == 4).then_some(())
    })
    .await;
    gate.release_all();
    for request in requests {
        assert!(request.await.expect("task"), "no request was refused");
    }
    let traffic = fake.asr().traffic();
    assert_eq!((traffic.requests, traffic.max_in_flight), (6, 2));
    assert_eq!(budget.rate(), 6_000.0);
}

#[tokio::test]
async fn a_throttled_answer_lowers_the_rate() {
    let fake = FakeDashScope::start(KEY).await;
    fake.asr().set_rate_limit(Some(RateLimit::in_flight(2)));
    let gate = fake.asr().gate();
    let (_dir, path) = chunk();
    let asr = recogniser(&fake);
    let budget = budget(3);
    let job = Arc::new(budget.job());
    let requests: Vec<_> = (0..3).map(|_| request(&job, &asr, &path)).collect();
    wait_until("the third request refused", WAIT, || {
        (budget.rate() < 6_000.0).then_some(())
    })
    .await;
    assert_eq!(budget.rate(), 3_000.0);
    gate.release_all();
    let mut succeeded = 0;
    for request in requests {
        succeeded += usize::from(request.await.expect("task"));
    }
    assert_eq!(succeeded, 2);
    let statuses: Vec<_> = fake.asr().calls().iter().map(|c| c.status).collect();
    assert_eq!(statuses, [429, 200, 200]);
    assert!(budget.rate() > 3_000.0, "the two successes raise it again");
}
