//! kubectl-sidecar: flags -> context -> collect -> facts -> checks -> render.

use std::process::ExitCode;

use kubectl_sidecar::cli::{self, Command, OutputFormat};
use kubectl_sidecar::cmd::{check_nodes, diff_pod, doctor, rbac, snapshot, version};
use kubectl_sidecar::context::{Context, output_format};
use kubectl_sidecar::error::{self, EXIT_USAGE, Error};
use kubectl_sidecar::{complete, fleet, output};

/// After `--timeout`, commands report what they have; this margin lets them print it before the
/// last-resort stop below ends a run that still has not returned.
const GRACE: std::time::Duration = kubectl_sidecar::fleet::GRACE;

fn main() -> ExitCode {
    // Handled before clap: the words being completed contain flags that clap would try to parse.
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("__complete") {
        let _ = output::print(&complete::complete(&args[2..]));
        return ExitCode::SUCCESS;
    }
    let mut cli = match cli::parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // Help and version are stdout output like any report: clap's own print would
            // drop a write error (a full disk) and exit 0.
            use std::io::IsTerminal;
            let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            let text = if color {
                e.render().ansi().to_string()
            } else {
                e.render().to_string()
            };
            return match output::print(&text) {
                Ok(()) => ExitCode::from(e.exit_code().clamp(0, 255) as u8),
                Err(err) => fail(&err),
            };
        }
        Err(e) => {
            // Usage errors go to stderr with exit 2.
            let _ = e.print();
            return ExitCode::from(e.exit_code().clamp(0, 255) as u8);
        }
    };
    // Commands that never talk to a cluster answer before any runtime or budget matters.
    let offline = match &cli.command {
        Command::Completion { shell } => Some(complete::script(*shell)),
        Command::Version => {
            Some(output_format(&cli.global, OutputFormat::Table).and_then(version::run))
        }
        Command::Rbac(args) => Some(rbac::run(args, cli.global.namespace.as_deref())),
        Command::Man => Some(cli::man_page().and_then(|page| output::print(&page).map(|()| 0))),
        _ => None,
    };
    if let Some(result) = offline {
        return match result {
            Ok(code) => ExitCode::from(code.clamp(0, 255) as u8),
            Err(e) => fail(&e),
        };
    }
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
    // snapshot's -o names its file, not a format: handed over before the context reads formats.
    if let Command::Snapshot(args) = &mut cli.command {
        args.output = cli.global.output.take();
    }
    // Resolved once, before any command: no command reads raw flags.
    let ctx = match Context::resolve(&cli.global, OutputFormat::Table) {
        Ok(ctx) => ctx,
        Err(e) => return fail(&e),
    };
    if ctx.several() {
        // Each cluster is bounded by its own --timeout (fleet::examine_all): no run-wide stop.
        let result = runtime.block_on(several(ctx, cli.command));
        runtime.shutdown_timeout(std::time::Duration::from_millis(100));
        return match result {
            Ok(code) => ExitCode::from(code.clamp(0, 255) as u8),
            Err(e) => fail(&e),
        };
    }
    let budget = ctx.budget;
    let result = runtime.block_on(async move {
        // Commands stop asking when the budget runs out and report what they have; this is the
        // backstop for anything that still has not returned, so that every run ends.
        match tokio::time::timeout(budget.remaining() + GRACE, run(ctx, cli.command)).await {
            Ok(result) => result,
            Err(_) => Err(Error::incomplete(format!(
                "the run did not finish within --timeout ({}) and was stopped",
                kubectl_sidecar::kube::access::seconds(budget.timeout)
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
        Command::Completion { .. } | Command::Version | Command::Rbac(_) | Command::Man => {
            unreachable!("answered before the runtime starts")
        }
        Command::CheckNodes(args) => check_nodes::run(ctx, &args).await,
        Command::DiffPod(args) => diff_pod::run(ctx, &args).await,
        Command::Doctor(args) => doctor::run(ctx, &args).await,
        Command::Snapshot(args) => snapshot::run(ctx, &args).await,
    }
}

/// `--context` repeated or `--all-contexts`: the same command on each cluster, concurrently.
async fn several(ctx: Context, command: Command) -> error::Result<i32> {
    match command {
        Command::CheckNodes(args) => {
            check_nodes::refuse_several(&args)?;
            let clusters = fleet::examine_all(&ctx, ctx.contexts()?, move |one| {
                let args = args.clone();
                async move { check_nodes::examine(one, &args).await }
            })
            .await;
            fleet::print(&clusters, ctx.output, ctx.color)
        }
        Command::Doctor(args) => {
            doctor::refuse_several(&args)?;
            let clusters = fleet::examine_all(&ctx, ctx.contexts()?, move |one| {
                let args = args.clone();
                async move { doctor::examine(one, &args).await }
            })
            .await;
            fleet::print(&clusters, ctx.output, ctx.color)
        }
        Command::DiffPod(_) => Err(Error::usage(
            "diff-pod takes one context: it compares a pod on one cluster",
        )
        .hint("give one --context, and run it once per cluster")),
        Command::Snapshot(_) => Err(Error::usage(
            "snapshot takes one context: one file holds one cluster",
        )
        .hint("give one --context, and one -o FILE per cluster")),
        Command::Completion { .. } | Command::Version | Command::Rbac(_) | Command::Man => {
            unreachable!("answered before the runtime starts")
        }
    }
}

fn fail(e: &Error) -> ExitCode {
    output::note(&format!("error: {e}\n"));
    ExitCode::from(e.code.clamp(EXIT_USAGE, 255) as u8)
}
