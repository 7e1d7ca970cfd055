//! `wayray-ctl`: the admin CLI. It sends one request to the daemon's admin socket and prints
//! the answer; see [`cli`] for the commands and exit statuses.

mod cli;
mod client;
mod output;
mod pool_output;
mod tables;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use wayray_protocol::admin::{AdminReply, AdminRequest, ErrorKind, PoolRequest};

use cli::{Cli, Command, PoolCommand, SessionCommand, TokenCommand};

/// Exit statuses scripts can rely on (also in the long help and the book).
mod exit {
    pub const FAILED: u8 = 1;
    pub const NOT_FOUND: u8 = 3;
    pub const INVALID: u8 = 4;
    pub const UNREACHABLE: u8 = 5;
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let request = match request(&cli) {
        Ok(Some(request)) => request,
        Ok(None) => return ExitCode::SUCCESS,
        Err(report) => {
            eprintln!("{report:?}");
            return ExitCode::from(exit::FAILED);
        }
    };
    let path = match client::socket_path(cli.socket.as_deref()) {
        Ok(path) => path,
        Err(err) => {
            let report = miette::miette!(
                help = "set XDG_RUNTIME_DIR as for the daemon, or pass --socket PATH",
                "{err}"
            );
            eprintln!("{report:?}");
            return ExitCode::from(exit::UNREACHABLE);
        }
    };
    let reply = match client::ask(&path, &request) {
        Ok(reply) => reply,
        Err(err) => {
            let report = miette::miette!(
                help = "is the daemon running (wayray-server serve)? Use the same \
                        XDG_RUNTIME_DIR and user as the daemon, or pass --socket PATH",
                "{err}"
            );
            eprintln!("{report:?}");
            return ExitCode::from(exit::UNREACHABLE);
        }
    };
    match &reply {
        AdminReply::Error(err) => {
            if cli.json {
                emit(&output::render(&reply, true));
            }
            let report = miette::miette!(help = err.help.clone(), "{}", err.message);
            eprintln!("{report:?}");
            ExitCode::from(match err.kind {
                ErrorKind::NotFound => exit::NOT_FOUND,
                ErrorKind::Invalid => exit::INVALID,
                ErrorKind::Failed => exit::FAILED,
            })
        }
        _ => {
            emit(&output::render(&reply, cli.json));
            ExitCode::SUCCESS
        }
    }
}

/// Prints the reply. A reader that stops early (`wayray-ctl token issue | head -n 1`) is not
/// an error: the rest is simply not needed.
fn emit(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout().lock(), "{text}");
}

/// The request for the command line, or `None` for commands that need no daemon.
fn request(cli: &Cli) -> miette::Result<Option<AdminRequest>> {
    Ok(Some(match &cli.command {
        Command::Status => AdminRequest::Status,
        Command::Sessions => AdminRequest::Sessions,
        Command::Session(command) => match command {
            SessionCommand::Show { id } => AdminRequest::SessionShow { id: *id },
            SessionCommand::Kill { id } => AdminRequest::SessionKill { id: *id },
            SessionCommand::Detach { id } => AdminRequest::SessionDetach { id: *id },
            SessionCommand::Screenshot { id, file } => {
                let path = std::path::absolute(file).map_err(|e| {
                    miette::miette!(help = "give a path in a writable directory", "{e}")
                })?;
                AdminRequest::SessionScreenshot {
                    id: *id,
                    path: path.to_string_lossy().into_owned(),
                }
            }
            SessionCommand::Run { id, command } => AdminRequest::SessionRun {
                id: *id,
                command: command.clone(),
            },
        },
        Command::Token(command) => match command {
            TokenCommand::Issue { session } => AdminRequest::TokenIssue { session: *session },
            TokenCommand::Revoke { id } => AdminRequest::TokenRevoke { id: id.clone() },
            TokenCommand::List => AdminRequest::TokenList,
        },
        Command::Pool(command) => AdminRequest::Pool(match command {
            PoolCommand::Servers => PoolRequest::Servers,
            PoolCommand::Sessions => PoolRequest::Sessions,
            PoolCommand::Drain { server, undo } => PoolRequest::Drain {
                server: server.clone(),
                undo: *undo,
            },
        }),
        Command::Completions { shell } => {
            clap_complete::generate(
                *shell,
                &mut Cli::command(),
                "wayray-ctl",
                &mut std::io::stdout(),
            );
            return Ok(None);
        }
        Command::Man { dir } => {
            std::fs::create_dir_all(dir)
                .map_err(|e| miette::miette!(help = "choose a directory you can write", "{e}"))?;
            clap_mangen::generate_to(Cli::command(), dir)
                .map_err(|e| miette::miette!(help = "choose a directory you can write", "{e}"))?;
            println!("man pages written to {}", dir.display());
            return Ok(None);
        }
    }))
}
