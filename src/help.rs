//! What `--help` says and which flags it shows. The clap definition lives in `cli`; this module
//! adds the descriptions, examples and exit codes, and hides the global flags that a command
//! accepts (kubectl users type them anywhere) but does not use.

use std::sync::OnceLock;

use clap::{ArgMatches, CommandFactory, FromArgMatches};

use crate::cli::Cli;

/// The global flags that only matter when talking to a cluster.
const CONNECTION: &[&str] = &[
    "kubeconfig",
    "context",
    "cluster",
    "user",
    "as_user",
    "as_group",
    "request_timeout",
    "timeout",
    "all_contexts",
    "max_clusters",
];

/// Per subcommand, the global flags it ignores: accepted, so that a kubectl habit never fails a
/// run, but not listed in its help or completed.
fn ignored_globals(subcommand: &str) -> Vec<&'static str> {
    let all_output = ["namespace", "output", "color"];
    match subcommand {
        "check-nodes" => vec!["namespace"],
        // diff-pod examines one cluster: several contexts are refused in one line, not offered.
        "diff-pod" => vec!["all_contexts", "max_clusters"],
        // One file holds one cluster.
        "snapshot" => vec!["color", "all_contexts", "max_clusters"],
        "completion" | "man" => CONNECTION.iter().copied().chain(all_output).collect(),
        "version" => CONNECTION
            .iter()
            .copied()
            .chain(["namespace", "color"])
            .collect(),
        "rbac" => CONNECTION
            .iter()
            .copied()
            .chain(["output", "color"])
            .collect(),
        _ => Vec::new(),
    }
}

/// Per subcommand, global flags that mean something else there, with their own help.
fn own_globals(subcommand: &str, globals: &[clap::Arg]) -> Vec<clap::Arg> {
    let output = globals.iter().find(|a| a.get_id() == "output");
    match (subcommand, output) {
        ("snapshot", Some(o)) => vec![
            o.clone()
                .value_name("FILE")
                .help("The file to write the snapshot to (JSON); `-` for stdout")
                .value_parser(crate::cli::OutputParser { formats: false })
                .value_hint(clap::ValueHint::FilePath),
        ],
        _ => Vec::new(),
    }
}

/// The complete command line definition: version texts, help, hidden flags. Everything that
/// parses or describes the command line (main, completion, the man page) starts here.
pub fn command() -> clap::Command {
    command_named("kubectl sidecar")
}

/// `command()` under another name: the completion scripts are for the `kubectl-sidecar`
/// binary, and subcommands take their names from the root's when it is built.
pub fn command_named(bin_name: &str) -> clap::Command {
    let mut cmd = Cli::command()
        .bin_name(bin_name.to_string())
        .version(short_version())
        .long_version(long_version());
    // `build` copies each global flag into every subcommand that has no flag of that id; a
    // hidden copy put there first takes its place, and its value still reaches the root's.
    let globals: Vec<clap::Arg> = cmd
        .get_arguments()
        .filter(|a| a.is_global_set())
        .cloned()
        .collect();
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in names {
        let hidden: Vec<clap::Arg> = globals
            .iter()
            .filter(|a| ignored_globals(&name).contains(&a.get_id().as_str()))
            .map(|a| a.clone().hide(true))
            .chain(own_globals(&name, &globals))
            .collect();
        // Every subcommand goes through here in order: mut_subcommand moves it to the end.
        cmd = cmd.mut_subcommand(&name, |sub| sub.args(hidden));
    }
    cmd.build();
    cmd
}

/// Parses the process's arguments with `command()`.
pub fn parse() -> Result<Cli, clap::Error> {
    parse_from(std::env::args_os())
}

pub fn parse_from<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let mut cmd = command();
    let matches: ArgMatches = cmd.try_get_matches_from_mut(args)?;
    let mut cli = Cli::from_arg_matches(&matches).map_err(|e| e.format(&mut cmd))?;
    let typed = |m: &ArgMatches| {
        m.value_source("request_timeout") == Some(clap::parser::ValueSource::CommandLine)
    };
    cli.global.request_timeout_given =
        typed(&matches) || matches.subcommand().is_some_and(|(_, sub)| typed(sub));
    Ok(cli)
}

fn short_version() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        format!(
            "{} (commit {})",
            crate::cmd::version::VERSION,
            crate::cmd::version::COMMIT
        )
    })
}

fn long_version() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    // clap prints "kubectl-sidecar " before it; the text is the `version` command's without it.
    TEXT.get_or_init(|| {
        let full = crate::cmd::version::text();
        full.strip_prefix("kubectl-sidecar ")
            .unwrap_or(&full)
            .trim_end()
            .to_string()
    })
}

/// The manual page, in roff: the root command and each visible subcommand as its own section.
pub fn man_page() -> crate::error::Result<String> {
    let cmd = command_named("kubectl-sidecar");
    let mut out = Vec::new();
    let render = |cmd: &clap::Command, out: &mut Vec<u8>| {
        // The commit changes with every commit: the page would always be stale.
        let cmd = cmd
            .clone()
            .version(crate::cmd::version::VERSION)
            .long_version(None::<&'static str>);
        clap_mangen::Man::new(cmd.clone())
            .title(
                cmd.get_bin_name()
                    .unwrap_or(cmd.get_name())
                    .replace(' ', "-"),
            )
            .section("1")
            .source(format!("kubectl-sidecar {}", crate::cmd::version::VERSION))
            .manual("kubectl plugins")
            .render(out)
    };
    let mut result = render(&cmd, &mut out);
    for sub in cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        if result.is_err() {
            break;
        }
        result = render(sub, &mut out);
    }
    result
        .map_err(|e| crate::error::Error::usage(format!("cannot render the manual page: {e}")))?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// What every command's exit code means; the numbers are `error::EXIT_*`.
macro_rules! exit_codes {
    ($zero:literal, $one:literal) => {
        concat!(
            "Exit codes:\n",
            "  0  ",
            $zero,
            "\n",
            "  1  ",
            $one,
            "\n",
            "  2  bad flags or input, or the output could not be written\n",
            "  3  the cluster could not be used (kubeconfig, apiserver unreachable, credentials refused)\n",
            "  4  incomplete: something that decides the verdict could not be examined (forbidden, timed\n",
            "     out, failed) and nothing examined already decides it; see the COVERAGE lines\n",
            "--fail-on warning|info also exits 1 on findings of that severity; --fail-on never keeps\n",
            "findings from exiting 1 (an incomplete run still exits 4)"
        )
    };
}

/// How a run over several clusters (`--context` repeated, `--all-contexts`) ends.
macro_rules! several_clusters {
    () => {
        concat!(
            "  With several contexts: one summary row per cluster, then each cluster's report\n",
            "  (-o json|yaml: a List of the per-cluster documents; -o sarif: a run per cluster;\n",
            "  -o junit: each cluster's suites); the exit code is the first of\n",
            "  1, 2, 3, 4 that some cluster has, else 0"
        )
    };
}

pub const ROOT_ABOUT: &str = "\
Tells a platform team whether their cluster and workloads can use Kubernetes native sidecar \
containers (init containers with `restartPolicy: Always`), and what exactly stands in the way: \
a SidecarContainers feature gate off on the apiserver or on some kubelets, nodes too old or \
outside the skew policy, a mutating webhook that strips restartPolicy, a sidecar that still races \
its app. It only reads (GET, LIST, and server-side dry runs that persist nothing; `diff-pod \
--blame` also sends webhooks dry-run reviews through the service proxy).";

pub const ROOT_EXAMPLES: &str = concat!(
    "Examples:\n",
    "  # Everything at once, for every namespace\n",
    "  kubectl sidecar doctor -A\n\n",
    "  # Can the control plane and each node run native sidecars?\n",
    "  kubectl sidecar check-nodes\n\n",
    "  # Everything they read, in one file to analyse elsewhere with --snapshot\n",
    "  kubectl sidecar snapshot -A -o cluster.json\n\n",
    "  # Who removed restartPolicy from my sidecar?\n",
    "  kubectl sidecar diff-pod -f deploy.yaml --blame\n\n",
    "  # The RBAC the people who run it need\n",
    "  kubectl sidecar rbac | kubectl apply -f -\n\n",
    exit_codes!(
        "nothing stands in the way, and everything that decides it was examined",
        "something stands in the way (what it is depends on the command)"
    )
);

pub const CHECK_NODES_ABOUT: &str = "\
Checks the control plane and every node (or those matching -l) for native sidecar support: \
the apiserver's version and SidecarContainers gate (from its /metrics), how many apiserver \
instances there are, the scheduler's and controller-manager's flags where they run as static pods, \
and for each node its kubelet version, its gate (from the kubelet's own metrics, through the \
apiserver's node proxy) and the version skew. It prints a verdict per node and per pool. \
Namespaces play no part, so -n is ignored.";

pub const CHECK_NODES_EXAMPLES: &str = concat!(
    "Examples:\n",
    "  kubectl sidecar check-nodes\n",
    "  kubectl sidecar check-nodes -l pool=blue -o wide\n",
    "  kubectl sidecar check-nodes -o json --save-snapshot nodes.json\n",
    "  kubectl sidecar check-nodes --snapshot nodes.json\n",
    "  kubectl sidecar check-nodes --context prod-eu --context prod-us\n",
    "  kubectl sidecar check-nodes -o junit > check-nodes.xml    # in CI\n\n",
    exit_codes!(
        "the apiserver and every node selected support native sidecars",
        "the apiserver or a node cannot run them fully (too old, gate off, 1.28, outside the skew policy)"
    ),
    "\n",
    several_clusters!()
);

pub const DIFF_POD_ABOUT: &str = "\
Compares a pod spec as submitted with what admission made of it: for -f, a server-side dry-run \
create of each pod template in the manifests (nothing is stored); for POD, the live pod against \
its owner's template or last-applied configuration. Prints the changes per container and says who \
removed restartPolicy: the apiserver (gate off, or older than 1.28) or the mutating webhooks that \
match the pod, which --blame calls one by one in a dry run to name the one that did it.\n\n\
--save-snapshot FILE saves what was collected (redacted: no environment values, command lines or \
annotation values); --snapshot FILE [POD] analyses such a file, or one written by `snapshot -f`, \
offline, with the same findings and changes as the live run.";

pub const DIFF_POD_EXAMPLES: &str = concat!(
    "Examples:\n",
    "  kubectl sidecar diff-pod -f deploy.yaml\n",
    "  kubectl sidecar diff-pod -f manifests/ --blame -n shop\n",
    "  helm template . | kubectl sidecar diff-pod -f -\n",
    "  kubectl sidecar diff-pod web-7d9c6b7f9-x2x5q -n shop\n",
    "  kubectl sidecar diff-pod -f k8s/ -o sarif --fail-on warning > diff-pod.sarif    # in CI\n",
    "  kubectl sidecar diff-pod -f deploy.yaml --save-snapshot dry-runs.json\n",
    "  kubectl sidecar diff-pod --snapshot dry-runs.json Deployment/web\n\n",
    exit_codes!(
        "no change affects a sidecar (injections and defaults included)",
        "a change does: a sidecar's restartPolicy removed, the sidecar removed or altered, a create rejected because of it"
    )
);

pub const DOCTOR_ABOUT: &str = "\
Runs every check for one namespace (-n, default the context's) or all (-A) and prints one report: \
the control plane, nodes and pools (the check-nodes engine), admission (the mutating webhooks, and \
a dry-run canary pod with a native sidecar in each namespace that uses them), injectors (Istio, \
Linkerd), and workloads (templates, live pods, events with sidecar signatures). Each finding has a \
stable id, evidence and a fix; the verdict comes with the three most important next steps.\n\n\
With --offline -f FILE|DIR|- (repeatable; -R for directory trees; `helm template` or `kustomize \
build` output on stdin) it checks manifests instead, with no kubeconfig and no connection: every \
check a pod template decides (the ids marked static in CHECKS.md), each finding with the file, \
document and line of its object, judged by the rules of --target-version (default: the newest \
minor this build knows). What only the cluster shows is listed as not examined, so the verdict is \
`manifests ok` or `not ready`, never `ready`.";

pub const DOCTOR_EXAMPLES: &str = concat!(
    "Examples:\n",
    "  kubectl sidecar doctor -A\n",
    "  kubectl sidecar doctor -n shop -l app=web -o wide\n",
    "  kubectl sidecar doctor -A -o json --fail-on warning    # in CI\n",
    "  kubectl sidecar doctor -A -o sarif > sidecars.sarif     # for code scanning\n",
    "  kubectl sidecar doctor --snapshot tests/fixtures/snapshots/doctor-mixed.json\n",
    "  kubectl sidecar doctor -A --all-contexts    # every cluster of the kubeconfig\n",
    "  kubectl sidecar doctor --offline -f k8s/ -R --target-version 1.34    # manifests, in CI\n",
    "  helm template ./chart | kubectl sidecar doctor --offline -f -\n\n",
    exit_codes!(
        "no finding at or above --fail-on, and everything that decides it was examined (with\n     --offline: `manifests ok`, the manifests examined, the cluster not)",
        "an error finding (not ready), or a finding at or above --fail-on (default error)"
    ),
    "\n",
    several_clusters!()
);

pub const SNAPSHOT_ABOUT: &str = "\
Collects exactly what check-nodes and doctor analyse (the control plane and nodes, admission: the \
mutating webhooks and a dry-run canary per namespace, injectors, workloads) for one namespace (-n, \
default the context's) or all (-A), and writes it as one versioned JSON file. `--snapshot FILE` \
then gives check-nodes and doctor the same findings offline; send it to whoever helps you. It \
holds derived facts only: no environment values, command lines, tokens, annotation values (but \
the mesh switches) or Secret data. -o names the file (`-` for stdout).\n\n\
With -f FILE|DIR|- (repeatable, -R for directory trees) it also dry-runs each pod template of the \
manifests as diff-pod -f does and saves what admission made of them, redacted, for \
`diff-pod --snapshot FILE`.";

pub const SNAPSHOT_EXAMPLES: &str = concat!(
    "Examples:\n",
    "  kubectl sidecar snapshot -A -o cluster.json\n",
    "  kubectl sidecar snapshot -n shop -l app=web -o shop.json\n",
    "  kubectl sidecar doctor --snapshot cluster.json\n",
    "  kubectl sidecar check-nodes --snapshot cluster.json\n",
    "  kubectl sidecar snapshot -n shop -f deploy.yaml -o shop.json\n",
    "  kubectl sidecar diff-pod --snapshot shop.json\n\n",
    "Exit codes:\n",
    "  0  written, and everything doctor's verdict rests on was examined\n",
    "  2  bad flags (no -o FILE), or the file could not be written\n",
    "  3  the cluster could not be used (kubeconfig, apiserver unreachable, credentials refused)\n",
    "  4  written, but something doctor's verdict rests on, or a manifest's dry run, could not be\n",
    "     examined (see the note)"
);

pub const RBAC_ABOUT: &str = "\
Prints, as YAML to apply, a ClusterRole with exactly the rights a full run of every command needs, \
each rule commented with what breaks without it, and a binding for the subjects of --subject. \
Without a right a run still works: what it could not read is named in its COVERAGE lines and the \
verdict becomes incomplete. With --namespace-scoped the namespaced reads are granted by Roles in \
the namespace of -n (and kube-system; istio-system with --istio) instead of everywhere. It reads nothing from \
the cluster.";

pub const RBAC_EXAMPLES: &str = concat!(
    "Examples:\n",
    "  kubectl sidecar rbac | kubectl apply -f -\n",
    "  kubectl sidecar rbac --subject User:alice --subject Group:sre\n",
    "  kubectl sidecar rbac --namespace-scoped -n shop --subject Group:shop-devs\n\n",
    "Exit codes:\n",
    "  0  printed\n",
    "  2  bad flags (a malformed --subject, --namespace-scoped without -n), or the output could not be written"
);

pub const COMPLETION_ABOUT: &str = "\
Prints a completion script for the kubectl-sidecar binary. For `kubectl sidecar <TAB>` (kubectl \
1.26 and later) put completions/kubectl_complete-sidecar on your PATH instead: kubectl calls it, \
and it completes contexts, namespaces, node and pod names from the cluster.";

pub const COMPLETION_EXAMPLES: &str = concat!(
    "Examples:\n",
    "  source <(kubectl-sidecar completion bash)\n",
    "  kubectl-sidecar completion zsh > \"${fpath[1]}/_kubectl-sidecar\"\n",
    "  kubectl-sidecar completion fish > ~/.config/fish/completions/kubectl-sidecar.fish\n",
    "  kubectl-sidecar completion powershell | Out-String | Invoke-Expression\n\n",
    "Exit codes:\n",
    "  0  printed\n",
    "  2  an unknown shell, or the output could not be written"
);

pub const VERSION_ABOUT: &str = "\
Prints the tool's version, the git commit it was built from, and the Kubernetes minors whose \
SidecarContainers rules it encodes (a newer minor is judged as the newest one it knows).";

pub const VERSION_EXAMPLES: &str = concat!(
    "Examples:\n",
    "  kubectl sidecar version\n",
    "  kubectl sidecar version -o json\n\n",
    "Exit codes:\n",
    "  0  printed\n",
    "  2  bad flags, or the output could not be written"
);

#[cfg(test)]
mod tests {
    use super::*;

    fn visible_long_flags(cmd: &clap::Command, sub: &str) -> Vec<String> {
        let sub = cmd.find_subcommand(sub).expect("subcommand exists");
        sub.get_arguments()
            .filter(|a| !a.is_hide_set())
            .filter_map(|a| a.get_long().map(str::to_string))
            .collect()
    }

    #[test]
    fn ignored_globals_are_hidden_per_command() {
        let cmd = command();
        let nodes = visible_long_flags(&cmd, "check-nodes");
        assert!(!nodes.contains(&"namespace".into()), "{nodes:?}");
        assert!(nodes.contains(&"context".into()) && nodes.contains(&"output".into()));
        let doctor = visible_long_flags(&cmd, "doctor");
        assert!(doctor.contains(&"namespace".into()), "{doctor:?}");
        let completion = visible_long_flags(&cmd, "completion");
        assert!(
            completion.iter().all(|f| f == "help" || f == "version"),
            "{completion:?}"
        );
        let version = visible_long_flags(&cmd, "version");
        assert!(version.contains(&"output".into()) && !version.contains(&"kubeconfig".into()));
    }

    #[test]
    fn hidden_globals_still_parse() {
        let cli = parse_from(["kubectl-sidecar", "check-nodes", "-n", "x"]).unwrap();
        assert_eq!(cli.global.namespace.as_deref(), Some("x"));
        let cli = parse_from(["kubectl-sidecar", "completion", "bash", "--context", "c"]).unwrap();
        assert_eq!(cli.global.context, ["c"]);
    }

    #[test]
    fn definition_is_consistent() {
        command().debug_assert();
    }
}
