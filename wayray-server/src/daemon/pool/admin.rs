//! `wayray-ctl pool …` answered by the daemon.

use wayray_protocol::admin::{AdminError, AdminReply, ErrorKind, PoolRequest};

use super::{Pool, PoolError, listing, route};

fn failed(err: PoolError) -> AdminReply {
    AdminReply::Error(AdminError {
        kind: ErrorKind::Failed,
        message: err.to_string(),
        help: "check that the etcd endpoints in [pool] are running and have quorum \
               (etcdctl endpoint health)"
            .into(),
    })
}

/// The reply to `request`; `pool` is `None` on a server without `[pool]`.
pub async fn handle(pool: Option<&Pool>, request: PoolRequest) -> AdminReply {
    let Some(pool) = pool else {
        return AdminReply::Error(AdminError {
            kind: ErrorKind::Invalid,
            message: "this server is not in a pool".into(),
            help: "add a [pool] table to the server's configuration (see the book's \
                   wayray-server page) and restart it"
                .into(),
        });
    };
    match request {
        PoolRequest::Servers => match listing::servers(pool).await {
            Ok(servers) => AdminReply::PoolServers { servers },
            Err(err) => failed(err),
        },
        PoolRequest::Sessions => match listing::sessions(pool).await {
            Ok(sessions) => AdminReply::PoolSessions { sessions },
            Err(err) => failed(err),
        },
        PoolRequest::Drain { server, undo } => {
            let id = server.unwrap_or_else(|| pool.id().to_owned());
            match route::set_drain(pool, &id, !undo).await {
                Ok(()) if undo => AdminReply::Done {
                    message: format!("server {id} takes new sessions again"),
                },
                Ok(()) => AdminReply::Done {
                    message: format!(
                        "server {id} is draining: no new sessions go there; its sessions stay \
                         until they end"
                    ),
                },
                Err(err) => failed(err),
            }
        }
    }
}
