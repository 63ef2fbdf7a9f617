//! Completion for `kubectl sidecar <TAB>`. Since 1.26 kubectl hands plugin completion to an
//! executable named `kubectl_complete-sidecar` and expects Cobra's `__complete` protocol: one
//! `candidate\tdescription` per line, then `:<directive>`. completions/kubectl_complete-sidecar
//! forwards to this.

use clap::Command;

use crate::error::{EXIT_OK, Result};

/// Cobra's ShellCompDirectiveNoFileComp: do not fall back to file names.
const NO_FILE_COMP: u8 = 4;
/// Cobra's ShellCompDirectiveDefault: let the shell complete file names.
const DEFAULT: u8 = 0;

const BIN: &str = "kubectl-sidecar";

/// The completion script for the `kubectl-sidecar` binary itself.
pub fn script_text(shell: clap_complete::Shell) -> String {
    let mut cmd = crate::help::command_named(BIN);
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, BIN, &mut script);
    let script = String::from_utf8_lossy(&script).into_owned();
    if shell != clap_complete::Shell::Bash {
        return script;
    }
    // clap_complete's bash generator names a subcommand's state with the bin name's '-' turned
    // into "__" where it sets it, but into "__subcmd__" in the `case` that reads it, so for a bin
    // name with a '-' no subcommand's flags ever complete. One spelling for both.
    let script = script.replace(&BIN.replace('-', "__subcmd__"), &BIN.replace('-', "__"));
    drop_hidden_from_bash(&script, &cmd)
}

/// The bash generator offers hidden flags too; drop them from each subcommand's `opts` list.
fn drop_hidden_from_bash(script: &str, cmd: &Command) -> String {
    let mut out = String::with_capacity(script.len());
    let mut hidden: Vec<String> = Vec::new();
    for line in script.split_inclusive('\n') {
        let trimmed = line.trim();
        if let Some(state) = trimmed.strip_suffix(')') {
            hidden = cmd
                .get_subcommands()
                .find(|s| {
                    state
                        == format!(
                            "{}__subcmd__{}",
                            BIN.replace('-', "__"),
                            s.get_name().replace('-', "__subcmd__")
                        )
                })
                .map(|s| {
                    s.get_arguments()
                        .filter(|a| a.is_hide_set())
                        .flat_map(|a| {
                            a.get_long()
                                .map(|l| format!("--{l}"))
                                .into_iter()
                                .chain(a.get_short().map(|c| format!("-{c}")))
                        })
                        .collect()
                })
                .unwrap_or_default();
        }
        match trimmed
            .strip_prefix("opts=\"")
            .and_then(|o| o.strip_suffix('"'))
        {
            Some(opts) if !hidden.is_empty() => {
                let indent = &line[..line.len() - line.trim_start().len()];
                let kept: Vec<&str> = opts
                    .split(' ')
                    .filter(|o| !hidden.iter().any(|h| h == o))
                    .collect();
                out.push_str(&format!("{indent}opts=\"{}\"\n", kept.join(" ")));
                hidden.clear();
            }
            _ => out.push_str(line),
        }
    }
    out
}

pub fn script(shell: clap_complete::Shell) -> Result<i32> {
    crate::output::print(&script_text(shell))?;
    Ok(EXIT_OK)
}

/// What a value is completed from when it is not a fixed list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Live {
    Contexts,
    Clusters,
    Users,
    Namespaces,
    Nodes,
    Pods,
    NodeLabels,
}

fn live_source(cmd: &Command, arg: &clap::Arg) -> Option<Live> {
    let value_names: Vec<String> = arg
        .get_value_names()
        .map(|n| n.iter().map(|v| v.to_string()).collect())
        .unwrap_or_default();
    match arg.get_id().as_str() {
        "context" => Some(Live::Contexts),
        "cluster" => Some(Live::Clusters),
        "user" => Some(Live::Users),
        "namespace" => Some(Live::Namespaces),
        "selector" if cmd.get_name() == "check-nodes" => Some(Live::NodeLabels),
        _ if value_names.iter().any(|v| v == "NODE") => Some(Live::Nodes),
        _ if value_names.iter().any(|v| v == "POD") => Some(Live::Pods),
        _ if value_names.iter().any(|v| v == "NAMESPACE") => Some(Live::Namespaces),
        _ => None,
    }
}

/// The global flags that choose the cluster, as typed, to reach the same cluster for names.
const CONNECTION_FLAGS: &[&str] = &[
    "kubeconfig",
    "context",
    "cluster",
    "user",
    "namespace",
    "as_user",
    "as_group",
];

pub fn complete(words: &[String]) -> String {
    let root = crate::help::command();
    let (mut partial, done) = match words.split_last() {
        Some((last, rest)) => (last.as_str(), rest),
        None => ("", &[][..]),
    };
    // Walk the finished words to find the subcommand in use and whether a flag awaits its value.
    let mut cmd = &root;
    let mut pending_flag: Option<&clap::Arg> = None;
    let mut positionals = 0usize;
    let mut connection: Vec<String> = Vec::new();
    for word in done {
        if let Some(arg) = pending_flag.take() {
            if CONNECTION_FLAGS.contains(&arg.get_id().as_str())
                && let Some(long) = arg.get_long()
            {
                connection.push(format!("--{long}={word}"));
            }
            continue;
        }
        if word.starts_with('-') && word.len() > 1 {
            if let Some(arg) = find_flag(&root, cmd, word) {
                if !word.contains('=') && arg.get_action().takes_values() {
                    pending_flag = Some(arg);
                } else if word.starts_with("--")
                    && CONNECTION_FLAGS.contains(&arg.get_id().as_str())
                {
                    connection.push(word.clone());
                }
            }
            continue;
        }
        if let Some(sub) = cmd.get_subcommands().find(|s| s.get_name() == word) {
            cmd = sub;
        } else {
            positionals += 1;
        }
    }
    // `--flag=partial` completes the value, each candidate keeping its `--flag=`.
    let mut prefix = String::new();
    if pending_flag.is_none()
        && partial.starts_with("--")
        && let Some((flag, value)) = partial.split_once('=')
        && let Some(arg) = find_flag(&root, cmd, flag)
        && arg.get_action().takes_values()
    {
        pending_flag = Some(arg);
        prefix = format!("{flag}=");
        partial = value;
    }
    let mut out = String::new();
    let directive = if let Some(arg) = pending_flag {
        value_candidates(cmd, arg, partial, &connection, &prefix, &mut out)
    } else if partial.starts_with('-') {
        for arg in root
            .get_arguments()
            .filter(|a| a.is_global_set())
            .chain(cmd.get_arguments())
        {
            // A command's own (hidden) copy of a global flag it ignores wins over the root's.
            let hidden = arg.is_hide_set()
                || cmd
                    .get_arguments()
                    .any(|a| a.get_id() == arg.get_id() && a.is_hide_set());
            if hidden {
                continue;
            }
            let help = arg
                .get_help()
                .map(|h| first_line(&h.to_string()))
                .unwrap_or_default();
            if let Some(long) = arg.get_long() {
                let flag = format!("--{long}");
                if flag.starts_with(partial) && !out.contains(&format!("{flag}\t")) {
                    out.push_str(&format!("{flag}\t{help}\n"));
                }
            }
        }
        NO_FILE_COMP
    } else if cmd.has_subcommands() {
        for sub in cmd
            .get_subcommands()
            .filter(|s| !s.is_hide_set() && s.get_name() != "help")
        {
            if sub.get_name().starts_with(partial) {
                let about = sub
                    .get_about()
                    .map(|h| first_line(&h.to_string()))
                    .unwrap_or_default();
                out.push_str(&format!("{}\t{about}\n", sub.get_name()));
            }
        }
        NO_FILE_COMP
    } else {
        // A repeatable positional (`check-nodes NODE...`) takes every word after it.
        let repeated = || {
            cmd.get_positionals()
                .last()
                .filter(|a| matches!(a.get_action(), clap::ArgAction::Append))
        };
        match cmd.get_positionals().nth(positionals).or_else(repeated) {
            Some(arg) => value_candidates(cmd, arg, partial, &connection, "", &mut out),
            None => NO_FILE_COMP,
        }
    };
    out.push_str(&format!(":{directive}\n"));
    out
}

/// Candidates for one flag's or positional's value: its fixed values, names from the
/// kubeconfig or the cluster, or file names left to the shell. Returns the directive.
fn value_candidates(
    cmd: &Command,
    arg: &clap::Arg,
    partial: &str,
    connection: &[String],
    prefix: &str,
    out: &mut String,
) -> u8 {
    let fixed: Vec<String> = if arg.get_id() == "target_version" {
        known_minors()
    } else {
        arg.get_possible_values()
            .into_iter()
            .filter(|v| !v.is_hide_set())
            .map(|v| v.get_name().to_string())
            .collect()
    };
    let names = match live_source(cmd, arg) {
        Some(source) if fixed.is_empty() => names(source, connection),
        _ => fixed.clone(),
    };
    for v in names.iter().filter(|v| v.starts_with(partial)) {
        out.push_str(prefix);
        out.push_str(v);
        out.push('\n');
    }
    if fixed.is_empty() && live_source(cmd, arg).is_none() && takes_path(arg) {
        DEFAULT
    } else {
        NO_FILE_COMP
    }
}

/// How long completion may wait for the cluster: a TAB must answer promptly or not at all.
const LIVE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// Names from the kubeconfig (no network) or the cluster (one list, bounded by
/// `LIVE_TIMEOUT`). Any failure is silence: completion never prints an error.
fn names(source: Live, connection: &[String]) -> Vec<String> {
    let mut argv = vec!["kubectl-sidecar".to_string()];
    argv.extend(connection.iter().cloned());
    let limit = format!("{}ms", LIVE_TIMEOUT.as_millis());
    argv.extend([
        format!("--request-timeout={limit}"),
        format!("--timeout={limit}"),
        "version".to_string(),
    ]);
    let Ok(cli) = crate::help::parse_from(argv) else {
        return Vec::new();
    };
    let mut sorted = match source {
        Live::Contexts | Live::Clusters | Live::Users => {
            let Ok((kubeconfig, _)) =
                crate::context::load_kubeconfig(cli.global.kubeconfig.as_deref())
            else {
                return Vec::new();
            };
            match source {
                // `--context` repeats (several clusters): a name already given is not offered.
                Live::Contexts => kubeconfig
                    .contexts
                    .into_iter()
                    .map(|c| c.name)
                    .filter(|n| !cli.global.context.contains(n))
                    .collect(),
                Live::Clusters => kubeconfig.clusters.into_iter().map(|c| c.name).collect(),
                _ => kubeconfig.auth_infos.into_iter().map(|u| u.name).collect(),
            }
        }
        _ => {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return Vec::new();
            };
            let names = runtime.block_on(async {
                tokio::time::timeout(LIVE_TIMEOUT, from_cluster(source, &cli.global))
                    .await
                    .ok()
                    .flatten()
            });
            // A stalled connection must not hold the shell.
            runtime.shutdown_timeout(std::time::Duration::from_millis(50));
            names.unwrap_or_default()
        }
    };
    sorted.sort();
    sorted.dedup();
    sorted
}

async fn from_cluster(source: Live, global: &crate::cli::GlobalArgs) -> Option<Vec<String>> {
    use k8s_openapi::api::core::v1::{Namespace, Node, Pod};
    use kube::api::{Api, ListParams};

    let ctx = crate::context::Context::resolve(global, crate::cli::OutputFormat::Table)
        .ok()?
        .connect()
        .await
        .ok()?;
    let cluster = ctx.cluster();
    let client = cluster.client.clone();
    let lp = ListParams::default().limit(crate::kube::access::PAGE);
    let list = match source {
        Live::Namespaces => Api::<Namespace>::all(client)
            .list_metadata(&lp)
            .await
            .ok()?
            .items
            .into_iter()
            .filter_map(|o| o.metadata.name)
            .collect(),
        Live::Nodes => Api::<Node>::all(client)
            .list_metadata(&lp)
            .await
            .ok()?
            .items
            .into_iter()
            .filter_map(|o| o.metadata.name)
            .collect(),
        Live::NodeLabels => Api::<Node>::all(client)
            .list_metadata(&lp)
            .await
            .ok()?
            .items
            .into_iter()
            .flat_map(|o| o.metadata.labels.unwrap_or_default())
            .map(|(k, v)| format!("{k}={v}"))
            .collect(),
        Live::Pods => Api::<Pod>::namespaced(client, &cluster.namespace)
            .list_metadata(&lp)
            .await
            .ok()?
            .items
            .into_iter()
            .filter_map(|o| o.metadata.name)
            .collect(),
        Live::Contexts | Live::Clusters | Live::Users => Vec::new(),
    };
    Some(list)
}

fn find_flag<'a>(root: &'a Command, cmd: &'a Command, word: &str) -> Option<&'a clap::Arg> {
    let name = word.split('=').next().unwrap_or(word);
    let matches = |a: &&clap::Arg| {
        name.strip_prefix("--")
            .is_some_and(|l| a.get_long() == Some(l))
            || (name.len() == 2
                && name.starts_with('-')
                && a.get_short().is_some_and(|s| name.ends_with(s)))
    };
    cmd.get_arguments()
        .find(matches)
        .or_else(|| root.get_arguments().find(matches))
}

fn takes_path(arg: &clap::Arg) -> bool {
    matches!(
        arg.get_value_hint(),
        clap::ValueHint::FilePath | clap::ValueHint::AnyPath
    ) || arg
        .get_value_names()
        .is_some_and(|n| n.iter().any(|v| v.contains("FILE") || v.contains("PATH")))
}

/// `doctor --target-version`: the minors with native sidecars this build has rules for.
fn known_minors() -> Vec<String> {
    use crate::kube::versions::{SIDECARS_ALPHA, newest_known};
    let newest = newest_known();
    (SIDECARS_ALPHA.minor..=newest.minor)
        .map(|m| format!("{}.{m}", newest.major))
        .collect()
}

fn first_line(text: &str) -> String {
    text.lines()
        .next()
        .unwrap_or("")
        .trim_end_matches('.')
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(w: &[&str]) -> Vec<String> {
        w.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn subcommands_at_the_top() {
        let out = complete(&words(&[""]));
        assert!(out.contains("check-nodes\t"), "{out}");
        assert!(out.contains("doctor\t"), "{out}");
        assert!(out.ends_with(":4\n"));
        let out = complete(&words(&["d"]));
        assert!(out.contains("diff-pod") && out.contains("doctor") && !out.contains("check-nodes"));
    }

    #[test]
    fn flag_values() {
        let out = complete(&words(&["check-nodes", "-o", ""]));
        assert_eq!(out, "table\nwide\njson\nyaml\nsarif\njunit\n:4\n");
        let out = complete(&words(&["doctor", "--fail-on", "w"]));
        assert_eq!(out, "warning\n:4\n");
        for command in ["check-nodes", "diff-pod", "doctor"] {
            let out = complete(&words(&[command, "--fail-on", ""]));
            assert_eq!(out, "error\nwarning\ninfo\nnever\n:4\n", "{command}");
        }
        let out = complete(&words(&["--kubeconfig", ""]));
        assert_eq!(out, ":0\n", "paths are left to the shell");
        let out = complete(&words(&["doctor", "--offline", "-f", ""]));
        assert_eq!(out, ":0\n", "manifests are paths");
        let out = complete(&words(&["doctor", "--offline", "--target-version", "1.3"]));
        assert!(
            out.starts_with("1.30\n1.31\n") && out.ends_with("1.37\n:4\n"),
            "{out}"
        );
    }

    #[test]
    fn flags_of_the_subcommand_and_global_ones() {
        let out = complete(&words(&["doctor", "--"]));
        assert!(
            out.contains("--fail-on\t") && out.contains("--namespace\t"),
            "{out}"
        );
        assert!(!out.contains("--node-timeout"), "{out}");
    }
}
