//! `wayray-client`.

use clap::Parser;

/// Command line.
#[derive(Debug, Parser)]
#[command(name = "wayray-client", version, about)]
struct Cli {}

fn main() -> miette::Result<()> {
    let _cli = Cli::parse();
    Ok(())
}
