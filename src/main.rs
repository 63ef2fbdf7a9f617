//! kubectl-sidecar: flags -> context -> collect -> facts -> checks -> render.

mod cli;
mod complete;
mod context;
mod diffpod;
mod doctor;
mod duration;
mod error;
mod metrics;
mod nodes;
mod render;
mod selector;
mod skew;
mod version;

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use crate::cli::{Cli, Command, OutputFormat};
use crate::context::Context;
use crate::error::{EXIT_USAGE, Error};

fn main() -> ExitCode {
    // Handled before clap: the words being completed contain flags that clap would try to parse.
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("__complete") {
        print!("{}", complete::complete(&args[2..]));
        return ExitCode::SUCCESS;
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version itself with exit 0, and usage errors with exit 2.
            let _ = e.print();
            return ExitCode::from(e.exit_code().clamp(0, 255) as u8);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            return fail(&Error::usage(format!(
                "cannot start the async runtime: {e}"
            )));
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => ExitCode::from(code.clamp(0, 255) as u8),
        Err(e) => fail(&e),
    }
}

async fn run(cli: Cli) -> error::Result<i32> {
    // Resolved once, before any command: no command reads raw flags.
    let ctx = Context::resolve(&cli.global, OutputFormat::Table)?;
    match cli.command {
        Command::Completion { shell } => {
            let mut cmd = Cli::command();
            let mut out = std::io::stdout();
            clap_complete::generate(shell, &mut cmd, "kubectl-sidecar", &mut out);
            let _ = out.flush();
            Ok(error::EXIT_OK)
        }
        Command::CheckNodes(args) => nodes::run(ctx, &args).await,
        Command::DiffPod(args) => diffpod::run(ctx, &args).await,
        Command::Doctor(args) => doctor::run(ctx, &args).await,
    }
}

fn fail(e: &Error) -> ExitCode {
    eprintln!("error: {e}");
    ExitCode::from(e.code.clamp(EXIT_USAGE, 255) as u8)
}
