//! `wayray-ctl pool` tables.

use wayray_protocol::admin::{PoolServer, PoolSession};

use crate::tables::{opt, table};

/// `pool servers`.
pub fn servers_table(servers: &[PoolServer]) -> String {
    if servers.is_empty() {
        return "no servers have joined the pool".into();
    }
    table(
        &[
            "ID", "ADDRESS", "ALIVE", "DRAINING", "SESSIONS", "LOAD", "MEM FREE",
        ],
        servers
            .iter()
            .map(|s| {
                let id = if s.this {
                    format!("{} (this)", s.id)
                } else {
                    s.id.clone()
                };
                vec![
                    id,
                    s.address.clone(),
                    yes(s.alive),
                    yes(s.draining),
                    s.sessions.to_string(),
                    format!("{:.2}", f64::from(s.load_centi) / 100.0),
                    format!("{} MiB", s.memory_available_mib),
                ]
            })
            .collect(),
    )
}

/// `pool sessions`.
pub fn sessions_table(sessions: &[PoolSession]) -> String {
    if sessions.is_empty() {
        return "the pool holds no sessions".into();
    }
    table(
        &["TOKEN", "SERVER", "SESSION", "STATE", "USER"],
        sessions
            .iter()
            .map(|s| {
                vec![
                    s.token_id.clone(),
                    s.server.clone(),
                    opt(&s.session),
                    s.state.clone(),
                    opt(&s.user),
                ]
            })
            .collect(),
    )
}

fn yes(value: bool) -> String {
    if value { "yes" } else { "no" }.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dead_and_draining_servers_are_marked() {
        let server = |id: &str, alive, draining| PoolServer {
            id: id.into(),
            address: format!("{id}:47600"),
            fingerprint: String::new(),
            alive,
            draining,
            sessions: 2,
            load_centi: 150,
            memory_available_mib: 900,
            this: id == "a",
        };
        let text = servers_table(&[server("a", true, false), server("b", false, true)]);
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[1].starts_with("a (this)") && lines[1].contains("1.50"),
            "{text}"
        );
        assert!(
            lines[2].contains(" no ") && lines[2].contains(" yes "),
            "{text}"
        );
    }
}
