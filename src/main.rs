//! kubectl-sidecar: flags -> context -> collect -> facts -> checks -> render.

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use kubectl_sidecar::cli::{Cli, Command, OutputFormat};
use kubectl_sidecar::context::Context;
use kubectl_sidecar::error::{self, EXIT_USAGE, Error};
use kubectl_sidecar::{complete, diffpod, doctor, nodes, output};

/// After `--timeout`, commands report what they have; this margin lets them print it before the
/// last-resort stop below ends a run that still has not returned.
const GRACE: std::time::Duration = std::time::Duration::from_secs(5);

fn main() -> ExitCode {
    // Handled before clap: the words being completed contain flags that clap would try to parse.
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("__complete") {
        let _ = output::print(&complete::complete(&args[2..]));
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
    // Resolved once, before any command: no command reads raw flags.
    let ctx = match Context::resolve(&cli.global, OutputFormat::Table) {
        Ok(ctx) => ctx,
        Err(e) => return fail(&e),
    };
    let budget = ctx.budget;
    let result = runtime.block_on(async move {
        // Commands stop asking when the budget runs out and report what they have; this is the
        // backstop for anything that still has not returned, so that every run ends.
        match tokio::time::timeout(budget.remaining() + GRACE, run(ctx, cli.command)).await {
            Ok(result) => result,
            Err(_) => Err(Error::incomplete(format!(
                "the run did not finish within --timeout ({}) and was stopped",
                kubectl_sidecar::access::seconds(budget.timeout)
            ))
            .hint("nothing was reported; raise --timeout, or narrow the run with -n or -l")),
        }
    });
    // Requests still in flight (a stalled server) must not hold the exit.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    match result {
        Ok(code) => ExitCode::from(code.clamp(0, 255) as u8),
        Err(e) => fail(&e),
    }
}

async fn run(ctx: Context, command: Command) -> error::Result<i32> {
    match command {
        Command::Completion { shell } => {
            let mut cmd = Cli::command();
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut cmd, "kubectl-sidecar", &mut script);
            output::print(&String::from_utf8_lossy(&script))?;
            Ok(error::EXIT_OK)
        }
        Command::CheckNodes(args) => nodes::run(ctx, &args).await,
        Command::DiffPod(args) => diffpod::run(ctx, &args).await,
        Command::Doctor(args) => doctor::run(ctx, &args).await,
    }
}

fn fail(e: &Error) -> ExitCode {
    output::note(&format!("error: {e}\n"));
    ExitCode::from(e.code.clamp(EXIT_USAGE, 255) as u8)
}
