//! Completion for `kubectl sidecar <TAB>`. Since 1.26 kubectl hands plugin completion to an
//! executable named `kubectl_complete-sidecar` and expects Cobra's `__complete` protocol: one
//! `candidate\tdescription` per line, then `:<directive>`. completions/kubectl_complete-sidecar
//! forwards to this.

use clap::{Command, CommandFactory};

use crate::cli::Cli;

/// Cobra's ShellCompDirectiveNoFileComp: do not fall back to file names.
const NO_FILE_COMP: u8 = 4;
/// Cobra's ShellCompDirectiveDefault: let the shell complete file names.
const DEFAULT: u8 = 0;

pub fn complete(words: &[String]) -> String {
    let root = Cli::command();
    let (partial, done) = match words.split_last() {
        Some((last, rest)) => (last.as_str(), rest),
        None => ("", &[][..]),
    };
    // Walk the finished words to find the subcommand in use and whether a flag awaits its value.
    let mut cmd = &root;
    let mut pending_flag: Option<&clap::Arg> = None;
    for word in done {
        if let Some(arg) = pending_flag.take() {
            let _ = arg;
            continue;
        }
        if let Some(arg) = find_flag(&root, cmd, word) {
            if !word.contains('=') && arg.get_action().takes_values() {
                pending_flag = Some(arg);
            }
            continue;
        }
        if let Some(sub) = cmd.get_subcommands().find(|s| s.get_name() == word) {
            cmd = sub;
        }
    }
    let mut out = String::new();
    let directive = if let Some(arg) = pending_flag {
        let values: Vec<_> = arg
            .get_possible_values()
            .into_iter()
            .map(|v| v.get_name().to_string())
            .collect();
        for v in values.iter().filter(|v| v.starts_with(partial)) {
            out.push_str(v);
            out.push('\n');
        }
        if values.is_empty() && takes_path(arg) {
            DEFAULT
        } else {
            NO_FILE_COMP
        }
    } else if partial.starts_with('-') {
        for arg in root
            .get_arguments()
            .filter(|a| a.is_global_set())
            .chain(cmd.get_arguments())
        {
            if arg.is_hide_set() {
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
    } else {
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
    };
    out.push_str(&format!(":{directive}\n"));
    out
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
        assert_eq!(out, "table\nwide\njson\nyaml\n:4\n");
        let out = complete(&words(&["doctor", "--fail-on", "w"]));
        assert_eq!(out, "warning\n:4\n");
        let out = complete(&words(&["--kubeconfig", ""]));
        assert_eq!(out, ":0\n", "paths are left to the shell");
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
