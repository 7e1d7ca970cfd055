//! The command line of `wayray-ctl` (also the source of its completions and man pages).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Administer a WayRay daemon: its sessions and tokens.
///
/// Exit status: 0 success, 1 the daemon failed to do it, 2 bad usage, 3 no such session or
/// token, 4 not possible in the current state, 5 the daemon cannot be reached.
#[derive(Debug, Parser)]
#[command(name = "wayray-ctl", version, about, long_about)]
pub struct Cli {
    /// The daemon's admin socket (default: $XDG_RUNTIME_DIR/wayray/admin.sock).
    #[arg(long, global = true)]
    pub socket: Option<PathBuf>,
    /// Print JSON instead of tables (for scripts).
    #[arg(long, global = true)]
    pub json: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show the daemon's state: address, fingerprint, sessions, tokens.
    Status,
    /// List the sessions that are running.
    Sessions,
    /// One session: show, kill, detach its viewer, take a screenshot, start an app.
    #[command(subcommand)]
    Session(SessionCommand),
    /// Issue, revoke and list session tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// The server pool: its servers, its sessions, draining a server.
    #[command(subcommand)]
    Pool(PoolCommand),
    /// Print shell completions.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Write man pages (wayray-ctl.1 and one per command) into a directory.
    Man {
        /// Where to write them.
        dir: PathBuf,
    },
}

/// Commands on one session.
#[derive(Debug, Subcommand)]
pub enum SessionCommand {
    /// Show a session, also an ended one.
    Show {
        /// Session id.
        id: u64,
    },
    /// Stop a session and every application in it.
    Kill {
        /// Session id.
        id: u64,
    },
    /// Disconnect the session's viewer; the session keeps running.
    Detach {
        /// Session id.
        id: u64,
    },
    /// Write the session's screen as a PNG file.
    Screenshot {
        /// Session id.
        id: u64,
        /// The PNG file to write.
        file: PathBuf,
    },
    /// Start an application inside the session.
    Run {
        /// Session id.
        id: u64,
        /// Program and arguments, after `--`.
        #[arg(last = true, required = true)]
        command: Vec<String>,
    },
}

/// Commands on tokens.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Issue a new token and print its secret (shown only this once).
    Issue {
        /// Bind the token to this running session (default: a new session on first use).
        #[arg(long)]
        session: Option<u64>,
    },
    /// Revoke a token; a viewer using it is disconnected.
    Revoke {
        /// The token's id (as `token list` shows it), not the secret.
        id: String,
    },
    /// List tokens (never their secrets).
    List,
}

/// Commands on the server pool (a server with `[pool]` in its configuration).
#[derive(Debug, Subcommand)]
pub enum PoolCommand {
    /// The pool's servers: address, sessions, load, alive, draining.
    Servers,
    /// Every session of the pool: token, server, session id, state (running, lost…).
    Sessions,
    /// Place no new sessions on a server (this one by default); its sessions stay until they
    /// end.
    Drain {
        /// The server's id (`pool servers` lists them).
        server: Option<String>,
        /// Take new sessions again.
        #[arg(long)]
        undo: bool,
    },
}
