//! Who may do what on the admin socket. Root, the daemon's own user and, in multi-user mode,
//! members of the `wayray-admin` group administer everything. In multi-user mode every other
//! user gets a view of their own: their sessions (list, show, detach, kill, run a program in
//! them) and the tokens bound to them (issue, revoke, list). Screenshots (the daemon writes the
//! file) and the daemon's status are for administrators.

use wayray_protocol::admin::{AdminReply, AdminRequest, ErrorKind};

use super::supervisor::Supervisor;

/// The group whose members administer a multi-user server.
pub const ADMIN_GROUP: &str = "wayray-admin";

/// Who is on the other end of an admin connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// Everything is allowed.
    Admin,
    /// Only what concerns this user's sessions.
    User(String),
}

/// Who `uid` is for the admin socket; `None`: refused.
pub fn caller(supervisor: &Supervisor, uid: u32) -> Option<Caller> {
    // SAFETY: getuid(2) cannot fail and touches no memory.
    let me = unsafe { libc::getuid() };
    if uid == 0 || uid == me {
        return Some(Caller::Admin);
    }
    if !supervisor.config.login.enabled {
        return None;
    }
    let user = nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
        .ok()
        .flatten()?;
    let info = crate::users::lookup(&user.name).ok()?;
    let admins = nix::unistd::Group::from_name(ADMIN_GROUP).ok().flatten();
    if admins.is_some_and(|g| info.groups.contains(&g.gid.as_raw())) {
        return Some(Caller::Admin);
    }
    Some(Caller::User(info.name))
}

fn denied(what: &str) -> AdminReply {
    AdminReply::Error(wayray_protocol::admin::AdminError {
        kind: ErrorKind::Invalid,
        message: format!("permission denied: {what}"),
        help: format!(
            "you may manage your own sessions and their tokens; ask an administrator (root or \
             the {ADMIN_GROUP} group) for the rest"
        ),
    })
}

/// The user a session belongs to.
fn owner(supervisor: &Supervisor, id: u64) -> Option<String> {
    supervisor.registry().session(id).ok().flatten()?.user
}

/// Whether `caller` may send `request`.
pub fn permit(
    supervisor: &Supervisor,
    caller: &Caller,
    request: &AdminRequest,
) -> Result<(), Box<AdminReply>> {
    let Caller::User(user) = caller else {
        return Ok(());
    };
    let own = |id: u64| owner(supervisor, id).as_deref() == Some(user.as_str());
    match request {
        AdminRequest::Sessions | AdminRequest::TokenList => Ok(()),
        AdminRequest::SessionShow { id }
        | AdminRequest::SessionKill { id }
        | AdminRequest::SessionDetach { id }
        | AdminRequest::SessionRun { id, .. } => match own(*id) {
            true => Ok(()),
            false => Err(Box::new(denied(&format!("session {id} is not yours")))),
        },
        AdminRequest::TokenIssue { session: Some(id) } if own(*id) => Ok(()),
        AdminRequest::TokenIssue { .. } => Err(Box::new(denied(
            "tokens can be issued only for your own sessions",
        ))),
        AdminRequest::TokenRevoke { id } => {
            let session = supervisor.registry().token(id).ok().flatten();
            match session.and_then(|t| t.session) {
                Some(session) if own(session) => Ok(()),
                _ => Err(Box::new(denied(&format!("token {id} is not one of yours")))),
            }
        }
        AdminRequest::Status | AdminRequest::SessionScreenshot { .. } | AdminRequest::Pool(_) => {
            Err(Box::new(denied("administrators only")))
        }
    }
}

/// Leaves in a list reply only what `caller` may see.
pub fn filter(supervisor: &Supervisor, caller: &Caller, reply: AdminReply) -> AdminReply {
    let Caller::User(user) = caller else {
        return reply;
    };
    match reply {
        AdminReply::Sessions { mut sessions } => {
            sessions.retain(|s| s.user.as_deref() == Some(user.as_str()));
            AdminReply::Sessions { sessions }
        }
        AdminReply::Tokens { mut tokens } => {
            tokens.retain(|t| {
                t.session
                    .is_some_and(|id| owner(supervisor, id).as_deref() == Some(user.as_str()))
            });
            AdminReply::Tokens { tokens }
        }
        other => other,
    }
}
