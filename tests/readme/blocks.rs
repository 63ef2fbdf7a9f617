//! README.md's fenced code blocks, read the way the README tests run them.
//!
//! The convention (README.md "Testing" repeats it for writers of the README):
//! - Every block whose info string is `sh`, `bash`, `shell` or `console` holds commands, and the
//!   line right above its opening fence says how it is tested:
//!   `<!-- test: offline -->` runs each command in the normal `cargo test`, with no cluster;
//!   `<!-- test: cluster -->` runs each under `--features e2e` against a harness scenario;
//!   `<!-- test: synopsis -->` is a usage line, not run: every flag it names must be in that
//!   command's `--help`; `<!-- test: skip REASON -->` is never run, and says why.
//!   A command block without one of these fails the test, so a command cannot be added to the
//!   README without being run or explicitly excused.
//! - A command is each line that is neither blank nor a comment, with `\` continuations joined.
//!   It must exit 0, or N when its trailing comment starts with `exit N` (`... # exit 1`).
//! - A block without an info string fails too (say `text`, `json`, ...), and so does a line of
//!   another block that looks like a command (`$ ...`, `kubectl sidecar ...`): commands live in
//!   command blocks.
//! - The report between `<!-- BEGIN doctor report` and `<!-- END doctor report -->` is written
//!   by tests/readme/capture-report.sh; the tests compare it with what the script prints.

// Each test binary uses a different part of this module.
#![allow(dead_code)]

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mark {
    Offline,
    Cluster,
    Synopsis,
    Skip(String),
}

#[derive(Debug, Clone)]
pub struct Block {
    /// 1-based line of the opening fence.
    pub line: usize,
    pub mark: Mark,
    /// (1-based line, text) of every line inside the fences.
    pub body: Vec<(usize, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// 1-based line where the command starts.
    pub line: usize,
    pub text: String,
    pub exit: i32,
}

const SHELLS: [&str; 4] = ["sh", "bash", "shell", "console"];
const MARK_PREFIX: &str = "<!-- test:";
pub const REPORT_BEGIN: &str = "<!-- BEGIN doctor report";
pub const REPORT_END: &str = "<!-- END doctor report -->";

/// Every command block of `readme` with its mark, or every problem found (line: what).
pub fn parse(readme: &str) -> Result<Vec<Block>, Vec<String>> {
    let lines: Vec<&str> = readme.lines().collect();
    let mut blocks = Vec::new();
    let mut problems = Vec::new();
    // The mark seen on the previous line and not yet used by a fence: (line, mark).
    let mut pending: Option<(usize, Result<Mark, String>)> = None;
    let mut i = 0;
    while i < lines.len() {
        let n = i + 1;
        let line = lines[i];
        if let Some(rest) = line.trim().strip_prefix(MARK_PREFIX) {
            if let Some((at, _)) = pending.take() {
                problems.push(format!(
                    "line {at}: a test mark not right above a code block"
                ));
            }
            pending = Some((n, mark(rest)));
            i += 1;
            continue;
        }
        let Some(info) = line.strip_prefix("```") else {
            if let Some((at, _)) = pending.take() {
                problems.push(format!(
                    "line {at}: a test mark not right above a code block"
                ));
            }
            i += 1;
            continue;
        };
        let lang = info.split_whitespace().next().unwrap_or("").to_string();
        let end = (i + 1..lines.len()).find(|&j| lines[j].trim_end() == "```");
        let Some(end) = end else {
            problems.push(format!("line {n}: code block never closed"));
            break;
        };
        let body: Vec<(usize, String)> = (i + 1..end)
            .map(|j| (j + 1, lines[j].to_string()))
            .collect();
        let marked = pending.take();
        if SHELLS.contains(&lang.as_str()) {
            match marked {
                Some((_, Ok(mark))) => blocks.push(Block {
                    line: n,
                    mark,
                    body,
                }),
                Some((at, Err(why))) => problems.push(format!("line {at}: {why}")),
                None => problems.push(format!(
                    "line {n}: a ```{lang} block without a test mark on the line above: \
                     <!-- test: offline -->, <!-- test: cluster -->, <!-- test: synopsis --> \
                     or <!-- test: skip REASON --> (tests/readme/blocks.rs)"
                )),
            }
        } else {
            if lang.is_empty() {
                problems.push(format!(
                    "line {n}: a code block without a language: name it (sh for commands, text, json, ...)"
                ));
            }
            if let Some((at, _)) = marked {
                problems.push(format!(
                    "line {at}: a test mark above a ```{lang} block: only command blocks are run"
                ));
            }
            for (at, text) in &body {
                let t = text.trim_start();
                if t.starts_with("$ ")
                    || t.starts_with("kubectl sidecar ")
                    || t.starts_with("kubectl-sidecar ")
                {
                    problems.push(format!(
                        "line {at}: a command in a ```{lang} block: put it in a ```sh block with a test mark"
                    ));
                }
            }
        }
        i = end + 1;
    }
    if let Some((at, _)) = pending {
        problems.push(format!(
            "line {at}: a test mark not right above a code block"
        ));
    }
    if problems.is_empty() {
        Ok(blocks)
    } else {
        Err(problems)
    }
}

fn mark(rest: &str) -> Result<Mark, String> {
    let Some(inner) = rest.trim().strip_suffix("-->") else {
        return Err("a test mark must end with --> on the same line".into());
    };
    let inner = inner.trim();
    match inner {
        "offline" => Ok(Mark::Offline),
        "cluster" => Ok(Mark::Cluster),
        "synopsis" => Ok(Mark::Synopsis),
        _ => match inner.strip_prefix("skip") {
            Some(reason)
                if reason.starts_with(char::is_whitespace) && !reason.trim().is_empty() =>
            {
                Ok(Mark::Skip(reason.trim().to_string()))
            }
            Some(_) => Err("<!-- test: skip --> needs a reason: <!-- test: skip REASON -->".into()),
            None => Err(format!(
                "unknown test mark {inner:?}: offline, cluster, synopsis or skip REASON"
            )),
        },
    }
}

/// The commands of a block: comment and blank lines dropped, `\` continuations joined.
pub fn commands(block: &Block) -> Vec<Command> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (n, raw) in &block.body {
        let text = raw.trim();
        if current.is_none() && (text.is_empty() || text.starts_with('#')) {
            continue;
        }
        let (start, mut joined) = current.take().unwrap_or((*n, String::new()));
        if let Some(head) = text.strip_suffix('\\') {
            joined.push_str(head.trim_end());
            joined.push(' ');
            current = Some((start, joined));
            continue;
        }
        joined.push_str(text);
        out.push(Command {
            line: start,
            exit: expected_exit(&joined),
            text: joined,
        });
    }
    if let Some((start, joined)) = current {
        let text = joined.trim_end().to_string();
        out.push(Command {
            line: start,
            exit: expected_exit(&text),
            text,
        });
    }
    out
}

/// N from a trailing comment that starts with `exit N`, else 0.
fn expected_exit(command: &str) -> i32 {
    let Some(at) = command.find(" #") else {
        return 0;
    };
    let comment = command[at + 2..].trim_start();
    comment
        .strip_prefix("exit ")
        .and_then(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .unwrap_or(0)
}

/// The subcommand and every flag a synopsis line names: ("doctor", ["-n", "-A", "--fail-on"]).
pub fn synopsis_flags(command: &str) -> Option<(String, Vec<String>)> {
    let rest = command
        .strip_prefix("kubectl sidecar ")
        .or_else(|| command.strip_prefix("kubectl-sidecar "))?;
    let sub = rest.split_whitespace().next()?.to_string();
    let mut flags = Vec::new();
    for word in rest.split(|c: char| c.is_whitespace() || c == '[' || c == ']' || c == '|') {
        let name = word.split('=').next().unwrap_or("");
        let dashes = name.len() - name.trim_start_matches('-').len();
        let body = &name[dashes..];
        if (dashes == 1 || dashes == 2)
            && body.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && body.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !flags.iter().any(|f| f == name)
        {
            flags.push(name.to_string());
        }
    }
    Some((sub, flags))
}

/// Whether `--help` text lists `flag` as an option (`-l, --selector <SELECTOR>`).
pub fn help_lists(help: &str, flag: &str) -> bool {
    help.lines().any(|line| {
        let line = line.trim_start();
        // clap puts two spaces or more between an option and its description.
        let spec = line.split("  ").next().unwrap_or("");
        line.starts_with('-')
            && spec
                .split(|c: char| c.is_whitespace() || c == ',' || c == '=' || c == '<' || c == '[')
                .any(|w| w == flag)
    })
}

/// The text between the report markers, without its fences.
pub fn report(readme: &str) -> Result<String, String> {
    let begin = readme
        .find(REPORT_BEGIN)
        .ok_or_else(|| format!("README.md has no {REPORT_BEGIN} ... --> line"))?;
    let after = &readme[begin..];
    let end = after
        .find(REPORT_END)
        .ok_or_else(|| format!("README.md has no {REPORT_END} after {REPORT_BEGIN}"))?;
    let inside = &after[..end];
    let open = inside
        .find("\n```text\n")
        .ok_or("the doctor report is not in a ```text block")?;
    let body = &inside[open + "\n```text\n".len()..];
    let close = body
        .rfind("```")
        .ok_or("the doctor report's ```text block is not closed")?;
    Ok(body[..close].to_string())
}

/// The live report's only moving part: the collection time on its scope line.
pub fn without_collection_time(report: &str) -> String {
    report
        .lines()
        .map(|line| match line.find("(collected ") {
            Some(at) => {
                let tail = &line[at..];
                let close = tail.find(')').map(|c| &tail[c..]).unwrap_or("");
                format!("{}(collected <time>{close}", &line[..at])
            }
            None => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}
