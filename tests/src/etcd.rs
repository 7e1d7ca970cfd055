//! A real etcd cluster on loopback for the pool's tests: `n` members of Debian's etcd 3.4,
//! their data on tmpfs (`/dev/shm` where it exists), killed and removed on drop.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::ports::listen_port;
use crate::programs::require;
use crate::runtime_dir::RuntimeDir;

/// One member.
struct Member {
    name: String,
    client_port: u16,
    peer_port: u16,
    child: Option<Child>,
}

/// A running cluster.
pub struct EtcdCluster {
    etcd: PathBuf,
    etcdctl: PathBuf,
    dir: RuntimeDir,
    members: Vec<Member>,
    initial_cluster: String,
    /// `http` or `https` (client URLs).
    scheme: &'static str,
    /// Added to every member's command line (TLS files).
    member_args: Vec<String>,
    /// Added to every `etcdctl` call (TLS files, `--user`).
    ctl_args: Vec<String>,
}

impl EtcdCluster {
    /// Starts `n` members and waits until the cluster answers; `None` (skip) without etcd,
    /// outside CI.
    pub fn start(label: &str, n: usize) -> Option<Self> {
        Self::start_with(label, n, "http", Vec::new(), Vec::new())
    }

    /// [`EtcdCluster::start`] with client URLs of `scheme`, `member_args` on every member's
    /// command line and `ctl_args` on every `etcdctl` call (e.g. TLS files).
    pub fn start_with(
        label: &str,
        n: usize,
        scheme: &'static str,
        member_args: Vec<String>,
        ctl_args: Vec<String>,
    ) -> Option<Self> {
        let etcd = require("etcd")?;
        let etcdctl = require("etcdctl")?;
        let shm = std::path::Path::new("/dev/shm");
        let dir = if shm.is_dir() {
            RuntimeDir::new_in(shm, label)
        } else {
            RuntimeDir::new(label)
        }
        .expect("etcd data dir");
        let members: Vec<Member> = (0..n)
            .map(|i| Member {
                name: format!("m{i}"),
                client_port: listen_port(),
                peer_port: listen_port(),
                child: None,
            })
            .collect();
        let initial_cluster = members
            .iter()
            .map(|m| format!("{}=http://127.0.0.1:{}", m.name, m.peer_port))
            .collect::<Vec<_>>()
            .join(",");
        let mut cluster = Self {
            etcd,
            etcdctl,
            dir,
            members,
            initial_cluster,
            scheme,
            member_args,
            ctl_args,
        };
        for i in 0..n {
            cluster.start_member(i);
        }
        cluster.wait_healthy(Duration::from_secs(20));
        Some(cluster)
    }

    fn start_member(&mut self, i: usize) {
        let member = &self.members[i];
        let data = self.dir.path().join(&member.name);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join(format!("{}.log", member.name)))
            .expect("etcd log");
        let client = format!("{}://127.0.0.1:{}", self.scheme, member.client_port);
        let peer = format!("http://127.0.0.1:{}", member.peer_port);
        let child = Command::new(&self.etcd)
            .args(["--name", &member.name])
            .arg("--data-dir")
            .arg(&data)
            .args([
                "--listen-client-urls",
                &client,
                "--advertise-client-urls",
                &client,
            ])
            .args([
                "--listen-peer-urls",
                &peer,
                "--initial-advertise-peer-urls",
                &peer,
            ])
            .args(["--initial-cluster", &self.initial_cluster])
            .args(["--initial-cluster-state", "new"])
            .args(["--initial-cluster-token", "wayray-test"])
            // Fast elections on loopback: a dead leader is replaced within a second.
            .args(["--heartbeat-interval", "50", "--election-timeout", "500"])
            .args(&self.member_args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("etcd starts");
        self.members[i].child = Some(child);
    }

    /// The client URLs of every member, for `[pool] etcd`.
    pub fn endpoints(&self) -> Vec<String> {
        self.members
            .iter()
            .map(|m| format!("{}://127.0.0.1:{}", self.scheme, m.client_port))
            .collect()
    }

    /// Adds `args` to every later `etcdctl` call (`--user` once authentication is on).
    pub fn add_ctl_args(&mut self, args: &[&str]) {
        self.ctl_args.extend(args.iter().map(|a| (*a).to_owned()));
    }

    /// The endpoints as a TOML array.
    pub fn endpoints_toml(&self) -> String {
        let quoted: Vec<String> = self.endpoints().iter().map(|e| format!("{e:?}")).collect();
        format!("[{}]", quoted.join(", "))
    }

    /// A daemon in this cluster's pool with server id `id` and a lease of `ttl` seconds,
    /// listening on a port chosen before it starts (its `advertise`).
    pub fn pool_member(&self, id: &str, ttl: u64) -> Option<crate::daemon::Daemon> {
        let listen = std::net::SocketAddr::from(([127, 0, 0, 1], listen_port()));
        let tables = format!(
            "[pool]\netcd = {}\nserver_id = {id:?}\nadvertise = \"{listen}\"\n\
             lease_ttl_secs = {ttl}\n",
            self.endpoints_toml()
        );
        crate::daemon::Daemon::start_listening(&format!("pool-{id}"), listen, &tables)
    }

    /// Kills member `i` with SIGKILL.
    pub fn kill(&mut self, i: usize) {
        if let Some(mut child) = self.members[i].child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts member `i` again on its data.
    pub fn restart(&mut self, i: usize) {
        self.kill(i);
        self.start_member(i);
    }

    /// `etcdctl` against the members still running.
    pub fn etcdctl(&self, args: &[&str]) -> std::process::Output {
        let live: Vec<String> = self
            .members
            .iter()
            .filter(|m| m.child.is_some())
            .map(|m| format!("{}://127.0.0.1:{}", self.scheme, m.client_port))
            .collect();
        Command::new(&self.etcdctl)
            .env("ETCDCTL_API", "3")
            .arg(format!("--endpoints={}", live.join(",")))
            .args(["--command-timeout=2s"])
            .args(&self.ctl_args)
            .args(args)
            .output()
            .expect("etcdctl runs")
    }

    /// Waits until a write through the cluster succeeds (a leader and quorum).
    pub fn wait_healthy(&self, timeout: Duration) {
        let healthy = crate::wait::poll_until(timeout, || {
            let out = self.etcdctl(&["put", "/wayray-test/health", "ok"]);
            if out.status.success() {
                Ok(())
            } else {
                Err(String::from_utf8_lossy(&out.stderr).into_owned())
            }
        });
        if let Err(err) = healthy {
            panic!("etcd did not become healthy: {err}\n{}", self.logs());
        }
    }

    /// What the members logged.
    pub fn logs(&self) -> String {
        let mut all = String::new();
        for m in &self.members {
            let log = self.dir.path().join(format!("{}.log", m.name));
            let text = std::fs::read_to_string(log).unwrap_or_default();
            // The tail is what explains a failure.
            let tail: Vec<&str> = text.lines().rev().take(20).collect();
            all += &format!("--- {} ---\n", m.name);
            for line in tail.into_iter().rev() {
                all += line;
                all.push('\n');
            }
        }
        all
    }
}

impl Drop for EtcdCluster {
    fn drop(&mut self) {
        for i in 0..self.members.len() {
            self.kill(i);
        }
    }
}
