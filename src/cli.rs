//! Command-line surface. Only this module knows raw flags; `context` turns them into the one
//! resolved `Context` that commands receive.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub use crate::help::{command, man_page, parse};

#[derive(Debug, Parser)]
#[command(
    name = "kubectl-sidecar",
    bin_name = "kubectl sidecar",
    about = "Can this cluster and its workloads use native sidecar containers, and what stands in the way?",
    long_about = crate::help::ROOT_ABOUT,
    after_help = crate::help::ROOT_EXAMPLES,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// kubectl's connection and output flags. `global = true` lets them stand before or after the
/// subcommand, as kubectl users type them; their own heading puts a command's flags first.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Path to the kubeconfig file to use (default: $KUBECONFIG, then ~/.kube/config).
    #[arg(long, global = true, value_name = "PATH", value_hint = clap::ValueHint::FilePath)]
    pub kubeconfig: Option<PathBuf>,

    /// The name of the kubeconfig context to use; repeat it to examine several clusters at once
    /// (check-nodes, doctor: one summary row per cluster, then each cluster's report).
    #[arg(long, global = true, value_name = "NAME", value_hint = clap::ValueHint::Other)]
    pub context: Vec<String>,

    /// Examine the cluster of every context in the kubeconfig (check-nodes, doctor), as
    /// repeating --context for each.
    #[arg(long, global = true, conflicts_with = "context")]
    pub all_contexts: bool,

    /// With several contexts: how many clusters are examined at once (the others wait their
    /// turn; each cluster's --timeout starts when its turn does).
    #[arg(long, global = true, value_name = "N", default_value_t = crate::fleet::DEFAULT_MAX_CLUSTERS)]
    pub max_clusters: usize,

    /// The name of the kubeconfig cluster to use.
    #[arg(long, global = true, value_name = "NAME", value_hint = clap::ValueHint::Other)]
    pub cluster: Option<String>,

    /// The name of the kubeconfig user to use.
    #[arg(long, global = true, value_name = "NAME", value_hint = clap::ValueHint::Other)]
    pub user: Option<String>,

    /// The namespace scope for this request.
    #[arg(short = 'n', long, global = true, value_name = "NAMESPACE", value_hint = clap::ValueHint::Other)]
    pub namespace: Option<String>,

    /// Username to impersonate for the operation.
    #[arg(long = "as", global = true, value_name = "USER", value_hint = clap::ValueHint::Other)]
    pub as_user: Option<String>,

    /// Group to impersonate for the operation; repeat for several groups.
    #[arg(long = "as-group", global = true, value_name = "GROUP", value_hint = clap::ValueHint::Other)]
    pub as_group: Vec<String>,

    /// How long to wait for a single request, as kubectl takes it: "30s", "1m", "500ms"; "0" leaves
    /// only --timeout.
    #[arg(long, global = true, value_name = "DURATION", default_value = "30s", value_hint = clap::ValueHint::Other)]
    pub request_timeout: String,

    /// How long the whole command may take: every apiserver call, kubelet read and dry run. When it
    /// runs out, the command reports what it has, marks the rest as timed out and exits 4.
    #[arg(long, global = true, value_name = "DURATION", default_value = "2m", value_hint = clap::ValueHint::Other)]
    pub timeout: String,

    /// Output format: table, wide, json, yaml, or for CI sarif (SARIF 2.1.0, code scanning) or
    /// junit (JUnit XML); sarif and junit only on the commands that report findings.
    #[arg(short = 'o', long, global = true, value_name = "FORMAT", value_parser = OutputParser { formats: true })]
    pub output: Option<Output>,

    /// When to color the table output; `auto` colors only a terminal and honours NO_COLOR.
    #[arg(long, global = true, value_name = "WHEN", default_value = "auto")]
    pub color: ColorChoice,

    /// Whether --request-timeout was typed (it has a default): with --snapshot it is refused.
    #[arg(skip)]
    pub request_timeout_given: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Table,
    Wide,
    Json,
    Yaml,
    Sarif,
    Junit,
}

impl OutputFormat {
    /// The CI formats, which carry findings rather than a command's own document.
    pub fn is_ci(self) -> bool {
        matches!(self, OutputFormat::Sarif | OutputFormat::Junit)
    }
}

/// What `-o` names: a format for every command, or, for `snapshot` only, a file (any word that is
/// not a format; `-` is stdout). Which one a command accepts is decided once, in `Context`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    Format(OutputFormat),
    File(PathBuf),
}

/// Parses `-o`: a format name (as clap would) or else a file; offers the formats to completion
/// unless `formats` is false (`snapshot`'s copy, whose value is a file).
#[derive(Debug, Clone, Copy)]
pub struct OutputParser {
    pub formats: bool,
}

impl clap::builder::TypedValueParser for OutputParser {
    type Value = Output;

    fn parse_ref(
        &self,
        _cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Output, clap::Error> {
        let text = value.to_string_lossy();
        Ok(match OutputFormat::from_str(&text, true) {
            Ok(format) => Output::Format(format),
            Err(_) => Output::File(PathBuf::from(value)),
        })
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        if !self.formats {
            return None;
        }
        Some(Box::new(
            OutputFormat::value_variants()
                .iter()
                .filter_map(ValueEnum::to_possible_value),
        ))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the apiserver and every kubelet: version, SidecarContainers gate, skew, verdict per node and pool.
    #[command(
        long_about = crate::help::CHECK_NODES_ABOUT,
        after_help = crate::help::CHECK_NODES_EXAMPLES
    )]
    CheckNodes(CheckNodesArgs),
    /// Compare a submitted pod spec with what admission made of it, and name who stripped restartPolicy.
    #[command(
        long_about = crate::help::DIFF_POD_ABOUT,
        after_help = crate::help::DIFF_POD_EXAMPLES
    )]
    DiffPod(DiffPodArgs),
    /// Run every check and print one report with a verdict and the next steps.
    #[command(
        long_about = crate::help::DOCTOR_ABOUT,
        after_help = crate::help::DOCTOR_EXAMPLES
    )]
    Doctor(DoctorArgs),
    /// Save what check-nodes, doctor and diff-pod analyse to one file, for --snapshot elsewhere.
    #[command(
        long_about = crate::help::SNAPSHOT_ABOUT,
        after_help = crate::help::SNAPSHOT_EXAMPLES
    )]
    Snapshot(SnapshotArgs),
    /// Print the least-privilege RBAC (ClusterRole and binding) for the people who run this tool.
    #[command(
        long_about = crate::help::RBAC_ABOUT,
        after_help = crate::help::RBAC_EXAMPLES
    )]
    Rbac(RbacArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(
        long_about = crate::help::COMPLETION_ABOUT,
        after_help = crate::help::COMPLETION_EXAMPLES
    )]
    Completion {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the version, the git commit and the Kubernetes versions this build knows.
    #[command(
        long_about = crate::help::VERSION_ABOUT,
        after_help = crate::help::VERSION_EXAMPLES
    )]
    Version,
    /// Print the manual page (roff), generated from these flags.
    #[command(hide = true)]
    Man,
}

#[derive(Debug, Clone, Args)]
pub struct RbacArgs {
    /// Grant the namespaced reads only in the namespace of -n (plus kube-system for the control
    /// plane), instead of in every namespace. Enough for `doctor -n` and `check-nodes`.
    #[arg(long)]
    pub namespace_scoped: bool,

    /// With --namespace-scoped: also let doctor find istiod in istio-system (a Role there, so
    /// that namespace must exist).
    #[arg(long, requires = "namespace_scoped")]
    pub istio: bool,

    /// Who to bind it to: `User:NAME`, `Group:NAME` or `ServiceAccount:NAMESPACE:NAME`; repeat
    /// for several.
    #[arg(long, value_name = "KIND:NAME", default_value = "Group:kubectl-sidecar-users", value_hint = clap::ValueHint::Other)]
    pub subject: Vec<String>,

    /// Leave out a rule you will not grant (its id is in the comment above it); the run then
    /// reports what it could not read. Repeat for several.
    #[arg(long, value_name = "RULE", value_parser = crate::cmd::rbac::RULES.iter().map(|r| r.id).collect::<Vec<_>>())]
    pub omit: Vec<String>,

    /// Name of the ClusterRole, Roles and bindings.
    #[arg(long, value_name = "NAME", default_value = "kubectl-sidecar", value_hint = clap::ValueHint::Other)]
    pub name: String,
}

#[derive(Debug, Clone, Args)]
pub struct CheckNodesArgs {
    /// Only these nodes, by name (as `kubectl get nodes NAME...`); with -l, a node must match both.
    #[arg(value_name = "NODE")]
    pub nodes: Vec<String>,

    /// Only nodes matching this label selector (e.g. `pool=blue,!spot`).
    #[arg(short = 'l', long, value_name = "SELECTOR")]
    pub selector: Option<String>,

    /// How many kubelets to query at once.
    #[arg(long, value_name = "N", default_value_t = crate::kube::kubelets::DEFAULT_CONCURRENCY)]
    pub concurrency: usize,

    /// Give up on one kubelet's metrics after this long (e.g. 5s).
    #[arg(long, value_name = "DURATION", default_value = crate::kube::kubelets::DEFAULT_NODE_TIMEOUT)]
    pub node_timeout: String,

    /// Stop waiting for kubelets after this long overall; unanswered nodes become `unknown`.
    #[arg(long, value_name = "DURATION", default_value = crate::kube::kubelets::DEFAULT_DEADLINE)]
    pub deadline: String,

    /// Analyse a saved snapshot instead of a live cluster.
    #[arg(long, value_name = "FILE", conflicts_with = "save_snapshot")]
    pub snapshot: Option<PathBuf>,

    /// Save the collected facts to FILE (JSON) for offline analysis with --snapshot.
    #[arg(long, value_name = "FILE")]
    pub save_snapshot: Option<PathBuf>,

    /// Exit 1 when a finding at or above this severity exists (`never`: findings never do;
    /// an incomplete run still exits 4).
    #[arg(long, value_name = "SEVERITY", default_value = "error")]
    pub fail_on: FailOn,
}

#[derive(Debug, Clone, Args)]
pub struct DiffPodArgs {
    /// A live pod to compare against what was submitted for it.
    #[arg(value_name = "POD", conflicts_with = "filename")]
    pub pod: Option<String>,

    /// Manifest file, directory, or `-` for stdin, whose pod templates are dry-run created.
    #[arg(short = 'f', long = "filename", value_name = "FILE|DIR|-")]
    pub filename: Vec<PathBuf>,

    /// Read the directories given with -f and all their subdirectories.
    #[arg(short = 'R', long)]
    pub recursive: bool,

    /// Also show the fields the apiserver filled in by defaulting.
    #[arg(long)]
    pub show_defaults: bool,

    /// Analyse the dry runs saved in a snapshot (`snapshot -f`, `diff-pod --save-snapshot`)
    /// instead of a cluster; with POD, only that object.
    #[arg(long, value_name = "FILE", conflicts_with = "save_snapshot")]
    pub snapshot: Option<PathBuf>,

    /// Save the collected facts (redacted) to FILE (JSON) for offline analysis with --snapshot.
    #[arg(long, value_name = "FILE")]
    pub save_snapshot: Option<PathBuf>,

    /// Call each matching webhook yourself (dry run) to name the one that strips restartPolicy.
    #[arg(long)]
    pub blame: bool,

    /// Exit 1 when a finding at or above this severity exists (`never`: findings never do;
    /// an incomplete run still exits 4).
    #[arg(long, value_name = "SEVERITY", default_value = "error")]
    pub fail_on: FailOn,
}

#[derive(Debug, Clone, Args)]
pub struct DoctorArgs {
    /// Look at workloads in every namespace.
    #[arg(short = 'A', long, conflicts_with = "namespace")]
    pub all_namespaces: bool,

    /// Only workloads matching this label selector.
    #[arg(short = 'l', long, value_name = "SELECTOR")]
    pub selector: Option<String>,

    /// Exit 1 when a finding at or above this severity exists (`never`: findings never do;
    /// an incomplete run still exits 4).
    #[arg(long, value_name = "SEVERITY", default_value = "error")]
    pub fail_on: FailOn,

    /// Analyse a saved snapshot instead of a live cluster.
    #[arg(long, value_name = "FILE", conflicts_with = "save_snapshot")]
    pub snapshot: Option<PathBuf>,

    /// Save the collected facts to FILE (JSON) for offline analysis with --snapshot.
    #[arg(long, value_name = "FILE")]
    pub save_snapshot: Option<PathBuf>,

    /// Check manifests (-f) instead of a cluster: every check a pod template decides, no
    /// kubeconfig, no connection.
    #[arg(long, requires = "filename", conflicts_with_all = ["snapshot", "save_snapshot", "all_namespaces", "selector"])]
    pub offline: bool,

    /// With --offline: a manifest file, a directory of them, or `-` for stdin; repeatable.
    #[arg(
        short = 'f',
        long = "filename",
        value_name = "FILE|DIR|-",
        requires = "offline",
        value_hint = clap::ValueHint::AnyPath
    )]
    pub filename: Vec<PathBuf>,

    /// With --offline: read the directories given with -f and all their subdirectories.
    #[arg(short = 'R', long, requires = "offline")]
    pub recursive: bool,

    /// With --offline: apply this Kubernetes minor's rules (e.g. 1.34; default: the newest
    /// this build knows, see `kubectl sidecar version`).
    #[arg(long, value_name = "1.NN", requires = "offline")]
    pub target_version: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct SnapshotArgs {
    /// Collect workloads in every namespace.
    #[arg(short = 'A', long, conflicts_with = "namespace")]
    pub all_namespaces: bool,

    /// Only workloads matching this label selector.
    #[arg(short = 'l', long, value_name = "SELECTOR")]
    pub selector: Option<String>,

    /// Also dry-run the pod templates of these manifests (file, directory, or `-` for stdin;
    /// repeatable), as diff-pod -f does, and save what admission made of them.
    #[arg(short = 'f', long = "filename", value_name = "FILE|DIR|-")]
    pub filename: Vec<PathBuf>,

    /// Read the directories given with -f and all their subdirectories.
    #[arg(short = 'R', long, requires = "filename")]
    pub recursive: bool,

    /// `-o FILE` (the global flag, read as a file for this command; `-` for stdout).
    #[arg(skip)]
    pub output: Option<Output>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Info,
    Never,
}

impl FailOn {
    /// The lowest severity that fails the run; `None` for `never`.
    pub fn threshold(self) -> Option<crate::checks::finding::Severity> {
        use crate::checks::finding::Severity;
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Info => Some(Severity::Info),
            FailOn::Never => None,
        }
    }
}
