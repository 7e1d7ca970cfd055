//! The pool's etcd options against a real etcd: TLS with a CA and a client certificate
//! (`etcd_ca_file`, `etcd_cert_file`, `etcd_key_file`), and an etcd user (`etcd_user`,
//! `etcd_password_file`) whose login survives the member restarting.

use std::path::{Path, PathBuf};
use std::process::Command;

use wayray_server::daemon::pool::Pool;
use wayray_server::daemon::pool::config::PoolConfig;
use wayray_tests::etcd::EtcdCluster;
use wayray_tests::programs::require;
use wayray_tests::runtime_dir::RuntimeDir;

const FINGERPRINT: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

fn config(endpoints: Vec<String>) -> PoolConfig {
    PoolConfig {
        prefix: "/secure/".into(),
        lease_ttl_secs: 5,
        ..PoolConfig::new(endpoints, "a", "a.example:47600")
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA, a server certificate for 127.0.0.1 and a client certificate, P-256, in `dir`.
fn certificates(dir: &Path) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509", "-days", "2", "-subj", "/CN=wayray-test-ca"];
    ca.extend(ec);
    ca.extend(["-keyout", "ca.key", "-out", "ca.pem"]);
    openssl(dir, &ca);
    for (name, usage) in [("server", "serverAuth"), ("client", "clientAuth")] {
        let mut req = vec!["req", "-subj"];
        let subject = format!("/CN=wayray-test-{name}");
        req.push(&subject);
        req.extend(ec);
        let (key, csr, pem) = (
            format!("{name}.key"),
            format!("{name}.csr"),
            format!("{name}.pem"),
        );
        req.extend(["-keyout", &key, "-out", &csr]);
        openssl(dir, &req);
        let ext = format!("{name}.ext");
        std::fs::write(
            dir.join(&ext),
            format!("subjectAltName=IP:127.0.0.1\nextendedKeyUsage={usage}\n"),
        )
        .unwrap();
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-days",
                "2",
                "-in",
                &csr,
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-extfile",
                &ext,
                "-out",
                &pem,
            ],
        );
    }
}

fn path(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pool_talks_to_etcd_over_tls_with_a_client_certificate() {
    if require("openssl").is_none() {
        return;
    }
    let certs = RuntimeDir::new("etcd-tls").unwrap();
    certificates(certs.path());
    let file = |name: &str| path(certs.path(), name).display().to_string();
    let member_args = vec![
        "--cert-file".into(),
        file("server.pem"),
        "--key-file".into(),
        file("server.key"),
        "--trusted-ca-file".into(),
        file("ca.pem"),
        "--client-cert-auth".into(),
    ];
    let ctl_args = vec![
        format!("--cacert={}", file("ca.pem")),
        format!("--cert={}", file("client.pem")),
        format!("--key={}", file("client.key")),
    ];
    let Some(cluster) = EtcdCluster::start_with("pool-tls", 1, "https", member_args, ctl_args)
    else {
        return;
    };
    let mut secure = config(cluster.endpoints());
    secure.etcd_ca_file = Some(path(certs.path(), "ca.pem"));
    secure.etcd_cert_file = Some(path(certs.path(), "client.pem"));
    secure.etcd_key_file = Some(path(certs.path(), "client.key"));
    let pool = Pool::connect(secure.clone(), FINGERPRINT.into())
        .await
        .unwrap();
    assert!(pool.claim("t-tls", None, None).await.unwrap().is_some());
    assert_eq!(
        pool.session_of("t-tls")
            .await
            .unwrap()
            .unwrap()
            .record
            .server,
        "a"
    );

    // Without the client certificate etcd refuses every request.
    secure.etcd_cert_file = None;
    secure.etcd_key_file = None;
    let anonymous = Pool::connect(secure, FINGERPRINT.into()).await.unwrap();
    assert!(anonymous.session_of("t-tls").await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pool_logs_in_as_an_etcd_user_and_again_after_etcd_restarts() {
    let Some(mut cluster) = EtcdCluster::start("pool-auth", 1) else {
        return;
    };
    for args in [
        &["user", "add", "root:root-secret"][..],
        &["user", "add", "wayray:pool-secret"],
        &["role", "add", "wayray"],
        &[
            "role",
            "grant-permission",
            "wayray",
            "--prefix=true",
            "readwrite",
            "/secure/",
        ],
        &["user", "grant-role", "wayray", "wayray"],
        &["auth", "enable"],
    ] {
        let out = cluster.etcdctl(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    cluster.add_ctl_args(&["--user=root:root-secret"]);
    let secrets = RuntimeDir::new("etcd-auth").unwrap();
    let password = path(secrets.path(), "password");
    std::fs::write(&password, "pool-secret\n").unwrap();
    let mut user = config(cluster.endpoints());
    user.etcd_user = Some("wayray".into());
    user.etcd_password_file = Some(password.clone());
    let pool = Pool::connect(user.clone(), FINGERPRINT.into())
        .await
        .unwrap();
    assert!(pool.claim("t-auth", None, None).await.unwrap().is_some());

    // A wrong password is refused when connecting.
    std::fs::write(&password, "wrong").unwrap();
    assert!(Pool::connect(user, FINGERPRINT.into()).await.is_err());
    // Without a user, nothing is readable.
    let anonymous = Pool::connect(config(cluster.endpoints()), FINGERPRINT.into())
        .await
        .unwrap();
    assert!(anonymous.session_of("t-auth").await.is_err());

    // The member restarts and forgets every login: the pool logs in again by itself.
    cluster.restart(0);
    cluster.wait_healthy(std::time::Duration::from_secs(20));
    let held = pool.session_of("t-auth").await.expect("logged in again");
    assert_eq!(held.unwrap().record.server, "a");
}
