//! Leader election: the pure decision at given times, and the Lease conversation against the
//! mock apiserver (create when absent, take over when expired, stand by when held, lose on a
//! conflict).

use http::Method;
use k8s_openapi::jiff::Timestamp;
use serde_json::json;

use tokio_util::sync::CancellationToken;

use super::*;
use crate::desired::Apis;
use crate::fixtures;

const NS: &str = "scribe-system";
const PATH: &str = "/apis/coordination.k8s.io/v1/namespaces/scribe-system/leases/scribe-operator";

fn at(secs: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + secs).expect("valid")
}

fn lease(holder: Option<&str>, renewed: i64) -> Lease {
    serde_json::from_value(json!({
        "metadata": {"name": "scribe-operator", "namespace": NS, "resourceVersion": "7"},
        "spec": {
            "holderIdentity": holder,
            "leaseDurationSeconds": LEASE_SECONDS,
            "renewTime": MicroTime(at(renewed)),
            "leaseTransitions": 2,
        },
    }))
    .expect("a Lease")
}

#[test]
fn a_lease_is_taken_only_when_absent_released_or_expired() {
    let me = "op-b_2";
    assert_eq!(decide(None, me, at(0)), Decision::Create);
    assert_eq!(
        decide(Some(&lease(Some(me), 0)), me, at(100)),
        Decision::Renew
    );
    assert_eq!(
        decide(Some(&lease(Some("op-a_1"), 0)), me, at(14)),
        Decision::Wait
    );
    assert_eq!(
        decide(Some(&lease(Some("op-a_1"), 0)), me, at(15)),
        Decision::Take
    );
    assert_eq!(decide(Some(&lease(None, 0)), me, at(1)), Decision::Take);
}

#[tokio::test]
async fn candidates_create_take_over_and_stand_by() {
    let (ctx, mut api) = fixtures::context(Apis::default());
    let config = LeaseConfig {
        namespace: NS.into(),
        name: "scribe-operator".into(),
        identity: "op-b_2".into(),
    };
    let elector = Elector::new(ctx.client.clone(), config);
    let now = at(1000);
    let scenario = tokio::spawn(async move {
        // Absent: created with this identity.
        api.expect(Method::GET, PATH).await.not_found();
        let create = api
            .expect(
                Method::POST,
                "/apis/coordination.k8s.io/v1/namespaces/scribe-system/leases",
            )
            .await;
        create.assert_manager(false);
        assert_eq!(create.body["spec"]["holderIdentity"], json!("op-b_2"));
        assert_eq!(create.body["spec"]["leaseTransitions"], json!(0));
        let body = create.body.clone();
        create.reply(201, &body);

        // Held by another and fresh: no write.
        let held = serde_json::to_value(lease(Some("op-a_1"), 995)).expect("JSON");
        api.expect(Method::GET, PATH).await.reply(200, &held);

        // Expired: replaced, on the read resourceVersion, with one more transition.
        let expired = serde_json::to_value(lease(Some("op-a_1"), 900)).expect("JSON");
        api.expect(Method::GET, PATH).await.reply(200, &expired);
        let put = api.expect(Method::PUT, PATH).await;
        assert_eq!(put.body["metadata"]["resourceVersion"], json!("7"));
        assert_eq!(put.body["spec"]["holderIdentity"], json!("op-b_2"));
        assert_eq!(put.body["spec"]["leaseTransitions"], json!(3));
        let body = put.body.clone();
        put.reply(200, &body);

        // Someone else won the race: 409, not leading.
        api.expect(Method::GET, PATH).await.reply(200, &expired);
        let put = api.expect(Method::PUT, PATH).await;
        put.reply(
            409,
            &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                    "reason": "Conflict", "code": 409, "message": "the object has been modified"}),
        );
    });
    assert!(elector.try_lead(now).await.expect("created"));
    assert!(!elector.try_lead(now).await.expect("held elsewhere"));
    assert!(elector.try_lead(now).await.expect("taken over"));
    assert!(!elector.try_lead(now).await.expect("lost the race"));
    tokio::time::timeout(fixtures::TIMEOUT, scenario)
        .await
        .expect("in time")
        .expect("scenario");
}

/// A Lease held by `holder`, renewed just now (wall clock: the Lease's times are real ones).
fn fresh(holder: &str) -> serde_json::Value {
    json!({
        "metadata": {"name": "scribe-operator", "namespace": NS, "resourceVersion": "9"},
        "spec": {
            "holderIdentity": holder,
            "leaseDurationSeconds": LEASE_SECONDS,
            "renewTime": MicroTime(Timestamp::now()),
            "leaseTransitions": 1,
        },
    })
}

// Paused time: the renewal period passes as soon as every task waits, so no test sleeps.
#[tokio::test(start_paused = true)]
async fn a_leader_renews_until_another_takes_the_lease_and_releases_it_on_shutdown() {
    let (ctx, mut api) = fixtures::context(Apis::default());
    let config = LeaseConfig {
        namespace: NS.into(),
        name: "scribe-operator".into(),
        identity: "op-b_2".into(),
    };
    let elector = Elector::new(ctx.client.clone(), config);
    let scenario = tokio::spawn(async move {
        // A renewal: ours, replaced with a new renewTime.
        api.expect(Method::GET, PATH)
            .await
            .reply(200, &fresh("op-b_2"));
        let put = api.expect(Method::PUT, PATH).await;
        assert_eq!(put.body["spec"]["holderIdentity"], json!("op-b_2"));
        let body = put.body.clone();
        put.reply(200, &body);
        // Then another replica holds it: leadership is lost, nothing is written.
        api.expect(Method::GET, PATH)
            .await
            .reply(200, &fresh("op-a_1"));
        api
    });
    let shutdown = CancellationToken::new();
    let held = elector.hold(&shutdown).await;
    assert!(matches!(held, Err(Error::LeadershipLost)), "{held:?}");
    let mut api = tokio::time::timeout(fixtures::TIMEOUT, scenario)
        .await
        .expect("in time")
        .expect("scenario");

    // A leader that stops gives the Lease up, so the standby need not wait for it to expire.
    let scenario = tokio::spawn(async move {
        api.expect(Method::GET, PATH)
            .await
            .reply(200, &fresh("op-b_2"));
        let put = api.expect(Method::PUT, PATH).await;
        assert!(put.body["spec"]["holderIdentity"].is_null(), "{}", put.body);
        let body = put.body.clone();
        put.reply(200, &body);
    });
    elector.release().await;
    tokio::time::timeout(fixtures::TIMEOUT, scenario)
        .await
        .expect("in time")
        .expect("scenario");
    // Shut down while leading: hold returns without another request.
    shutdown.cancel();
    assert!(elector.hold(&shutdown).await.is_ok());
}
