//! A daemon that starts again takes over the sessions its predecessor left running: each
//! answers a status request on its link and is watched from then on. A session that does not
//! answer is recorded as lost and, if its process still runs, stopped: it would otherwise run
//! on with nobody supervising it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use wayray_protocol::admin::EndReason;
use wayray_protocol::messages::link::{LinkReply, LinkRequest};

use super::lifecycle::{Event, SessionState};
use super::registry::SessionRow;
use super::session_link;
use super::supervisor::{Live, Supervisor, stored};

/// How long a session has to answer the new daemon.
const ADOPT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a session that did not answer has after SIGTERM before SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(2);

impl Supervisor {
    /// Finds the sessions a previous daemon left running and takes them over; the others are
    /// recorded as ended (and stopped, if they still run without answering).
    pub async fn adopt_all(self: &Arc<Self>) {
        let rows = match self.registry().sessions(false) {
            Ok(rows) => rows,
            Err(err) => {
                tracing::error!(%err, "cannot read sessions from the registry");
                return;
            }
        };
        for row in rows {
            let link = row.link.as_deref().map(PathBuf::from);
            let status = match &link {
                Some(link) => {
                    let asked = session_link::request(link, &LinkRequest::Status);
                    tokio::time::timeout(ADOPT_TIMEOUT, asked)
                        .await
                        .ok()
                        .and_then(Result::ok)
                }
                None => None,
            };
            match (link, status) {
                (Some(link), Some(LinkReply::Status(status))) => {
                    if row.state != SessionState::Detached {
                        self.transition(row.id, Event::Adopted, None);
                    }
                    self.live().insert(
                        row.id,
                        Live {
                            pid: status.pid,
                            link: link.clone(),
                            viewer: None,
                            stop_reason: None,
                            started_for: None,
                        },
                    );
                    self.audit("adopted", Some(row.id), row.token_id.as_deref(), "");
                    tracing::info!(session = row.id, pid = status.pid, "session adopted");
                    self.watch(row.id, link);
                }
                (link, _) => {
                    if let Some(link) = link {
                        self.stop_unanswering(&row, &link).await;
                    }
                    self.transition(
                        row.id,
                        Event::Exit,
                        Some(&stored(&EndReason::LostWhileDaemonDown)),
                    );
                    self.audit("lost", Some(row.id), row.token_id.as_deref(), "");
                }
            }
        }
    }

    /// Stops the process of a session that did not answer, if it is still that session's.
    async fn stop_unanswering(&self, row: &SessionRow, link: &Path) {
        let Some(pid) = row.pid.filter(|&pid| serves_link(pid, link)) else {
            return;
        };
        tracing::warn!(
            session = row.id,
            pid,
            "session does not answer; stopping it"
        );
        if self.config.login.enabled {
            // Another user's process: only the privileged helper may signal it.
            super::login::helper::kill(self.logins.helper(), row.id).await;
            return;
        }
        let target = nix::unistd::Pid::from_raw(pid as i32);
        for signal in [
            nix::sys::signal::Signal::SIGTERM,
            nix::sys::signal::Signal::SIGCONT,
        ] {
            let _ = nix::sys::signal::kill(target, signal);
        }
        let deadline = tokio::time::Instant::now() + STOP_GRACE;
        while serves_link(pid, link) && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        if serves_link(pid, link) {
            crate::users::kill_group(pid);
        }
    }
}

/// Whether process `pid` runs and is the session serving `link` (its command line names the
/// link), so that a recycled process id is never signalled.
fn serves_link(pid: u32, link: &Path) -> bool {
    let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
        return false;
    };
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let zombie = stat
        .rfind(')')
        .is_some_and(|at| stat[at + 1..].trim_start().starts_with('Z'));
    let link = link.as_os_str().as_encoded_bytes();
    !zombie && cmdline.split(|b| *b == 0).any(|arg| arg == link)
}
