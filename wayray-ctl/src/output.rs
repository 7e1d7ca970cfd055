//! How answers are printed: tables and sentences for people, JSON for scripts (`--json`:
//! `sessions` is an array of session objects, `token issue` an object with `id` and `token`).

use wayray_protocol::admin::{AdminReply, DaemonStatus, SessionInfo, TokenInfo};

use crate::tables::{opt, table};

/// Renders a successful reply.
pub fn render(reply: &AdminReply, json: bool) -> String {
    if json {
        return render_json(reply);
    }
    match reply {
        AdminReply::Status(status) => status_text(status),
        AdminReply::Sessions { sessions } => sessions_table(sessions),
        AdminReply::Session(session) => session_text(session),
        AdminReply::Done { message } => message.clone(),
        AdminReply::Started { pid } => format!("started, pid {pid}"),
        AdminReply::TokenIssued(token) => {
            let bound = token.session.map_or_else(
                || "a new session on first use".to_owned(),
                |s| format!("session {s}"),
            );
            format!(
                "{}\n\ntoken id {} (for {bound}). The secret above is shown only now: give it \
                 to its user, e.g. in a file of mode 0600 for wayray-client --token-file.",
                token.token, token.id
            )
        }
        AdminReply::Tokens { tokens } => tokens_table(tokens),
        AdminReply::PoolServers { servers } => crate::pool_output::servers_table(servers),
        AdminReply::PoolSessions { sessions } => crate::pool_output::sessions_table(sessions),
        AdminReply::Error(err) => format!("error: {}", err.message),
    }
}

fn render_json(reply: &AdminReply) -> String {
    let value = match reply {
        AdminReply::Status(status) => serde_json::to_value(status),
        AdminReply::Sessions { sessions } => serde_json::to_value(sessions),
        AdminReply::Session(session) => serde_json::to_value(session),
        AdminReply::Done { message } => Ok(serde_json::json!({ "message": message })),
        AdminReply::Started { pid } => Ok(serde_json::json!({ "pid": pid })),
        AdminReply::TokenIssued(token) => serde_json::to_value(token),
        AdminReply::Tokens { tokens } => serde_json::to_value(tokens),
        AdminReply::PoolServers { servers } => serde_json::to_value(servers),
        AdminReply::PoolSessions { sessions } => serde_json::to_value(sessions),
        AdminReply::Error(err) => serde_json::to_value(err),
    };
    value.map_or_else(|e| format!("{{\"error\":\"{e}\"}}"), |v| v.to_string())
}

fn status_text(s: &DaemonStatus) -> String {
    let pool = s.pool.as_ref().map_or_else(String::new, |p| {
        let joined = if p.joined { "joined" } else { "not joined" };
        format!(
            "\npool         {} ({joined}; {} etcd requests)",
            p.server_id, p.etcd_requests
        )
    });
    let text = format!(
        "wayray-server {} (pid {})\nlisten       {}\nfingerprint  {}\nuptime       {} s\n\
         sessions     {} ({} attached)\ntokens       {} active\nstate dir    {}",
        s.version,
        s.pid,
        s.listen,
        s.fingerprint,
        s.uptime_s,
        s.sessions,
        s.attached,
        s.tokens,
        s.state_dir
    );
    text + &pool
}

fn sessions_table(sessions: &[SessionInfo]) -> String {
    if sessions.is_empty() {
        return "no sessions".into();
    }
    table(
        &["ID", "STATE", "TOKEN", "VIEWER", "PID", "DISPLAY"],
        sessions
            .iter()
            .map(|s| {
                vec![
                    s.id.to_string(),
                    s.state.to_string(),
                    opt(&s.token_id),
                    if s.attached {
                        opt(&s.viewer)
                    } else {
                        "-".into()
                    },
                    opt(&s.pid),
                    opt(&s.wayland_display),
                ]
            })
            .collect(),
    )
}

fn session_text(s: &SessionInfo) -> String {
    format!(
        "session {}\nstate        {}\ntoken        {}\nattached     {}\nviewer       {}\n\
         pid          {}\ndisplay      {}\ncreated      {}\nlast attach  {}\nend reason   {}\n\
         sound        {}\nvideo cap    {}",
        s.id,
        s.state,
        opt(&s.token_id),
        if s.attached { "yes" } else { "no" },
        opt(&s.viewer),
        opt(&s.pid),
        opt(&s.wayland_display),
        s.created,
        opt(&s.last_attach),
        opt(&s.end_reason),
        sound_text(s.sound),
        s.video_kbps
            .map_or("-".into(), |kbps| format!("{kbps} kbit/s"))
    )
}

fn sound_text(sound: Option<wayray_protocol::admin::SessionSound>) -> String {
    match sound {
        None => "-".into(),
        Some(s) => format!(
            "{}, microphone {}",
            if s.playing { "playing" } else { "silent" },
            if s.microphone { "live" } else { "off" }
        ),
    }
}

fn tokens_table(tokens: &[TokenInfo]) -> String {
    if tokens.is_empty() {
        return "no tokens".into();
    }
    table(
        &["ID", "SESSION", "REVOKED", "CREATED"],
        tokens
            .iter()
            .map(|t| {
                vec![
                    t.id.clone(),
                    opt(&t.session),
                    if t.revoked { "yes" } else { "no" }.into(),
                    t.created.to_string(),
                ]
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_columns() {
        let text = table(
            &["ID", "STATE"],
            vec![
                vec!["1".into(), "attached".into()],
                vec!["10".into(), "-".into()],
            ],
        );
        assert_eq!(text, "ID  STATE\n1   attached\n10  -");
    }

    #[test]
    fn token_list_json_has_no_secret_field() {
        let reply = AdminReply::Tokens {
            tokens: vec![TokenInfo {
                id: "t-1".into(),
                created: 0,
                revoked: false,
                session: Some(3),
            }],
        };
        let json = render(&reply, true);
        assert!(!json.contains("\"token\""), "{json}");
        assert!(json.starts_with('['), "{json}");
    }
}
