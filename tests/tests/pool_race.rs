//! Two servers racing for one token's session on a real etcd: exactly one claim wins, both
//! for a new session and for taking over a lost one; a token published by both keeps one id;
//! an id names one token; a malformed record is taken as lost.

use std::sync::Arc;

use wayray_server::daemon::pool::Pool;
use wayray_server::daemon::pool::config::PoolConfig;
use wayray_tests::etcd::EtcdCluster;

fn config(cluster: &EtcdCluster, id: &str) -> PoolConfig {
    PoolConfig {
        prefix: "/race/".into(),
        lease_ttl_secs: 5,
        ..PoolConfig::new(cluster.endpoints(), id, &format!("{id}.example:47600"))
    }
}

const FINGERPRINT: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_servers_claiming_one_token_exactly_one_wins() {
    let Some(cluster) = EtcdCluster::start("pool-race", 3) else {
        return;
    };
    let a = Arc::new(
        Pool::connect(config(&cluster, "a"), FINGERPRINT.into())
            .await
            .unwrap(),
    );
    let b = Arc::new(
        Pool::connect(config(&cluster, "b"), FINGERPRINT.into())
            .await
            .unwrap(),
    );
    for round in 0..20 {
        let token = format!("token-{round}");
        // Ten claims from each server at once.
        let mut claims = Vec::new();
        for i in 0..20 {
            let pool = if i % 2 == 0 { a.clone() } else { b.clone() };
            let token = token.clone();
            claims.push(tokio::spawn(async move {
                let won = pool.claim(&token, None, None).await.unwrap().is_some();
                (pool.id().to_owned(), won)
            }));
        }
        let mut winners = Vec::new();
        for claim in claims {
            let (id, won) = claim.await.unwrap();
            if won {
                winners.push(id);
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: {winners:?}");
        let held = a.session_of(&token).await.unwrap().expect("a claim");
        assert_eq!(held.record.server, winners[0]);

        // Both take over the same stale record at once: again exactly one.
        let (x, y) = tokio::join!(
            a.claim(&token, Some(&held), None),
            b.claim(&token, Some(&held), None)
        );
        let won = [x.unwrap().is_some(), y.unwrap().is_some()];
        assert_eq!(
            won.iter().filter(|w| **w).count(),
            1,
            "round {round}: {won:?}"
        );
    }
    // A token published by both at once keeps one id.
    let hash = [7u8; 32];
    let record = |id: &str| wayray_server::daemon::pool::records::TokenRecord {
        id: id.into(),
        created: 0,
        revoked: false,
    };
    let (from_a, from_b) = (record("from-a"), record("from-b"));
    let (ra, rb) = tokio::join!(
        a.publish_token(&hash, &from_a),
        b.publish_token(&hash, &from_b)
    );
    assert_eq!(ra.unwrap().id, rb.unwrap().id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_ids_are_unique_in_the_pool_and_a_malformed_record_can_be_taken_over() {
    let Some(cluster) = EtcdCluster::start("pool-records", 1) else {
        return;
    };
    let a = Pool::connect(config(&cluster, "a"), FINGERPRINT.into())
        .await
        .unwrap();
    let record = |id: &str| wayray_server::daemon::pool::records::TokenRecord {
        id: id.into(),
        created: 0,
        revoked: false,
    };
    a.publish_token(&[1; 32], &record("t-same")).await.unwrap();
    // Another token (another hash) with the same id is refused, and the first keeps its id.
    assert!(a.publish_token(&[2; 32], &record("t-same")).await.is_err());
    assert!(a.find_token(&[2; 32]).await.unwrap().is_none());
    assert!(a.revoke_token("t-same").await.unwrap());
    assert!(a.find_token(&[1; 32]).await.unwrap().unwrap().revoked);

    // Garbage where a session record should be: read as lost, and claimable over it.
    let put = cluster.etcdctl(&["put", "/race/sessions/t-garbage", "{not json"]);
    assert!(put.status.success());
    let held = a.session_of("t-garbage").await.unwrap().expect("a record");
    assert_eq!(held.record.phase.name(), "lost");
    assert!(
        a.claim("t-garbage", Some(&held), None)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        a.session_of("t-garbage")
            .await
            .unwrap()
            .unwrap()
            .record
            .server,
        "a"
    );
}
