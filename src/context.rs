//! The resolved context: raw flags become one value, built once, that every command receives.
//! No command reads flags or the environment itself.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig};

use crate::cli::{ColorChoice, GlobalArgs, Output, OutputFormat};
use crate::duration;
use crate::error::{Error, Result, flatten};
use crate::facts::contract::Origin;
use crate::kube::access::{Budget, USER_AGENT};

#[derive(Clone)]
pub struct Context {
    pub output: OutputFormat,
    /// Whether table output may use color (never affects json/yaml).
    pub color: bool,
    /// Whether progress may be drawn on stderr (only on a terminal).
    pub progress: bool,
    /// `-n` as given; `None` means "the kubeconfig context's namespace".
    pub namespace_flag: Option<String>,
    /// `--request-timeout`; `None` for 0 (no per-request limit: only `--timeout` applies).
    pub request_timeout: Option<Duration>,
    /// The run's time: every request is bounded by it (see `access::Budget`).
    pub budget: Budget,
    /// With several contexts: how many clusters are examined at once (`--max-clusters`).
    pub max_clusters: usize,
    /// The kubeconfig context this Context connects to; None for the current context.
    selected: Option<String>,
    cluster: Option<Cluster>,
    global: GlobalArgs,
}

/// What it takes to talk to the cluster, built only by commands that need it.
#[derive(Clone)]
pub struct Cluster {
    pub client: kube::Client,
    /// The namespace of `-n`, else the kubeconfig context's, else `default`.
    pub namespace: String,
    /// The apiserver URL, for messages (never credentials).
    pub server: String,
    /// The kubeconfig context and cluster names, for the documents' header.
    pub origin: Origin,
}

/// The format `-o` asks for; a file there is `snapshot`'s alone (main hands it over before this).
pub fn output_format(global: &GlobalArgs, default: OutputFormat) -> Result<OutputFormat> {
    match &global.output {
        None => Ok(default),
        Some(Output::Format(format)) => Ok(*format),
        Some(Output::File(path)) => Err(Error::usage(format!(
            "-o {}: not an output format",
            path.display()
        ))
        .hint("use -o table, wide, json or yaml (-o FILE is for kubectl sidecar snapshot)")),
    }
}

impl Context {
    /// Resolves everything that needs no network: output, color, timeouts.
    pub fn resolve(global: &GlobalArgs, default_output: OutputFormat) -> Result<Self> {
        let request_timeout = match duration::parse(&global.request_timeout) {
            Ok(d) if d.is_zero() => None,
            Ok(d) => Some(d),
            Err(e) => {
                return Err(Error::usage(format!("--request-timeout: {e}"))
                    .hint("use a duration such as 30s or 1m, or 0 for no limit"));
            }
        };
        let timeout = match duration::parse(&global.timeout) {
            Ok(d) if d.is_zero() => {
                return Err(Error::usage("--timeout must be more than 0")
                    .hint("every run has a deadline; use e.g. --timeout=5m for a large cluster"));
            }
            Ok(d) => d,
            Err(e) => {
                return Err(Error::usage(format!("--timeout: {e}"))
                    .hint("use a duration such as 2m or 90s"));
            }
        };
        let budget = Budget::new(request_timeout, timeout, std::time::Instant::now());
        let color = match global.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::env::var("TERM").map_or(true, |t| t != "dumb")
            }
        };
        Ok(Self {
            output: output_format(global, default_output)?,
            color,
            progress: std::io::stderr().is_terminal(),
            namespace_flag: global.namespace.clone(),
            request_timeout,
            budget,
            max_clusters: global.max_clusters,
            selected: global.context.last().cloned(),
            cluster: None,
            global: global.clone(),
        })
    }

    /// Whether the run examines several clusters: `--all-contexts`, or two or more distinct
    /// `--context` (one keeps the single-cluster output exactly).
    pub fn several(&self) -> bool {
        let g = &self.global;
        g.all_contexts || g.context.iter().any(|c| c != &g.context[0])
    }

    /// The contexts a run of several examines, checked against the kubeconfig before any
    /// cluster is touched: every context (`--all-contexts`, sorted as `kubectl config
    /// get-contexts` lists them), or those given, in their order, each once.
    pub fn contexts(&self) -> Result<Vec<Origin>> {
        let g = &self.global;
        for (flag, given) in [
            ("--cluster", g.cluster.is_some()),
            ("--user", g.user.is_some()),
        ] {
            if given {
                return Err(Error::usage(format!(
                    "{flag} cannot be used with several contexts: each context names its own cluster and user"
                ))
                .hint("drop it, or give one --context"));
            }
        }
        if self.max_clusters == 0 {
            return Err(Error::usage("--max-clusters must be at least 1"));
        }
        let (kubeconfig, source) = load_kubeconfig(g.kubeconfig.as_deref())?;
        if g.all_contexts {
            let mut names: Vec<String> =
                kubeconfig.contexts.iter().map(|c| c.name.clone()).collect();
            names.sort();
            names.dedup();
            if names.is_empty() {
                return Err(Error::cluster(format!("{source} has no contexts"))
                    .hint("`kubectl config get-contexts` lists them; pass --kubeconfig"));
            }
            return Ok(names
                .iter()
                .map(|n| origin(&kubeconfig, Some(n), g))
                .collect());
        }
        let mut names: Vec<&String> = Vec::new();
        for name in &g.context {
            check_context(&kubeconfig, name, &source)?;
            if !names.contains(&name) {
                names.push(name);
            }
        }
        Ok(names
            .iter()
            .map(|n| origin(&kubeconfig, Some(n), g))
            .collect())
    }

    /// The Context of one cluster of several: that kubeconfig context, and a budget of its own
    /// that starts now (each cluster gets the whole `--timeout` from when its turn starts). No
    /// progress line: several clusters would draw over each other.
    pub fn for_context(&self, name: &str) -> Self {
        let mut ctx = self.clone();
        ctx.selected = Some(name.to_string());
        ctx.budget = Budget::new(
            self.request_timeout,
            self.budget.timeout,
            std::time::Instant::now(),
        );
        ctx.progress = false;
        ctx.cluster = None;
        ctx
    }

    /// The kubeconfig context this Context connects to (None: the kubeconfig's current one).
    pub fn selected_context(&self) -> Option<&str> {
        self.selected.as_deref()
    }

    /// Loads the kubeconfig (KUBECONFIG may list several files, merged as kubectl merges them),
    /// applies --context/--cluster/--user/--as/--as-group/--request-timeout, and builds the client.
    pub async fn connect(mut self) -> Result<Self> {
        let g = &self.global;
        let selected = self.selected.clone();
        let (kubeconfig, source) = load_kubeconfig(g.kubeconfig.as_deref())?;
        check_names(&kubeconfig, selected.as_deref(), g, &source)?;
        let origin = origin(&kubeconfig, selected.as_deref(), g);
        let options = KubeConfigOptions {
            context: selected.clone(),
            cluster: g.cluster.clone(),
            user: g.user.clone(),
        };
        let exec_command = exec_command(&kubeconfig, selected.as_deref(), g);
        let mut config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
            .await
            .map_err(|e| {
                Error::cluster(format!("cannot use {source}: {}", flatten(&e)))
                    .hint("check --context/--cluster/--user against `kubectl config get-contexts`")
            })?;
        if let Some(user) = &g.as_user {
            config.auth_info.impersonate = Some(user.clone());
        }
        if !g.as_group.is_empty() {
            if g.as_user.is_none() {
                return Err(Error::usage("--as-group requires --as"));
            }
            config.auth_info.impersonate_groups = Some(g.as_group.clone());
        }
        // kube retries 429/503/504 up to 15 times with growing backoff. A diagnosis must answer
        // promptly, and through the node proxy a 503 means "kubelet unreachable", which a retry
        // only turns into a long wait; so a failed request is reported, not retried.
        config.default_retry = false;
        // Audit logs and API Priority and Fairness can tell this tool apart by its name.
        config
            .headers
            .retain(|(name, _)| name != http::header::USER_AGENT);
        config.headers.push((
            http::header::USER_AGENT,
            http::HeaderValue::from_static(USER_AGENT),
        ));
        // Every socket operation is bounded too, so that no request outlives the run's budget.
        // A second later than the budget's own limit: the budget must fire first, so that the
        // timeout is reported with the limit that ran out, not as the client's bare "timed out".
        let socket_limit = self
            .request_timeout
            .unwrap_or(self.budget.timeout)
            .min(self.budget.timeout)
            + std::time::Duration::from_secs(1);
        config.connect_timeout = Some(socket_limit);
        config.read_timeout = Some(socket_limit);
        config.write_timeout = Some(socket_limit);
        config.reset_reader_on_write = true;
        let namespace = g
            .namespace
            .clone()
            .unwrap_or_else(|| config.default_namespace.clone());
        let server = config.cluster_url.to_string();
        let client = kube::Client::try_from(config).map_err(|e| {
            exec_failure(&e, exec_command.as_ref()).unwrap_or_else(|| {
                Error::cluster(format!("cannot build a client for {server}: {}", flatten(&e)))
                    .hint("check the cluster's certificate-authority and the user's credentials in the kubeconfig")
            })
        })?;
        self.cluster = Some(Cluster {
            client,
            namespace,
            server,
            origin,
        });
        Ok(self)
    }

    /// With --snapshot nothing is collected, so the flags that choose or shape the connection
    /// would be silently ignored: the first one given is refused, in one line.
    pub fn refuse_connection_flags(&self) -> Result<()> {
        self.refuse_connection_flags_with(
            "--snapshot",
            "a snapshot is analysed without contacting a cluster",
            "drop it; the report's context names the cluster the snapshot came from",
        )
    }

    /// The same refusal for another way of running without a cluster (`--offline`).
    pub fn refuse_connection_flags_with(&self, mode: &str, why: &str, hint: &str) -> Result<()> {
        let g = &self.global;
        let given = [
            ("--kubeconfig", g.kubeconfig.is_some()),
            ("--context", !g.context.is_empty()),
            ("--all-contexts", g.all_contexts),
            ("--cluster", g.cluster.is_some()),
            ("--user", g.user.is_some()),
            ("--as", g.as_user.is_some()),
            ("--as-group", !g.as_group.is_empty()),
            ("--request-timeout", g.request_timeout_given),
        ];
        match given.iter().find(|(_, given)| *given) {
            Some((flag, _)) => {
                Err(Error::usage(format!("{flag} cannot be used with {mode}: {why}")).hint(hint))
            }
            None => Ok(()),
        }
    }

    /// The cluster connection; commands call this only after `connect`.
    pub fn cluster(&self) -> &Cluster {
        self.cluster
            .as_ref()
            .expect("connect() runs before any command that talks to the cluster")
    }
}

/// The kubeconfig as kubectl loads it: --kubeconfig alone if given (it must exist), else every
/// file of KUBECONFIG that exists, merged (first to set a value wins; missing files are skipped,
/// as kubectl skips them), else ~/.kube/config. Also names its source for messages.
pub fn load_kubeconfig(explicit: Option<&Path>) -> Result<(Kubeconfig, String)> {
    let fail = |source: &str, e: &dyn std::error::Error| {
        Error::cluster(format!("cannot load {source}: {}", flatten(e)))
            .hint("pass --kubeconfig PATH or set KUBECONFIG to a valid kubeconfig file")
    };
    if let Some(path) = explicit {
        let source = format!("kubeconfig {}", path.display());
        return Kubeconfig::read_from(path)
            .map(|k| (k, source.clone()))
            .map_err(|e| fail(&source, &e));
    }
    let listed: Vec<PathBuf> = std::env::var_os("KUBECONFIG")
        .map(|v| {
            std::env::split_paths(&v)
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        })
        .unwrap_or_default();
    if listed.is_empty() {
        let source = "~/.kube/config".to_string();
        return Kubeconfig::read()
            .map(|k| (k, source.clone()))
            .map_err(|e| fail(&source, &e));
    }
    let source = format!(
        "KUBECONFIG={}",
        std::env::var("KUBECONFIG").unwrap_or_default()
    );
    let present: Vec<&PathBuf> = listed.iter().filter(|p| p.exists()).collect();
    if present.is_empty() {
        return Err(
            Error::cluster(format!("cannot load {source}: none of its files exists"))
                .hint("pass --kubeconfig PATH or set KUBECONFIG to a valid kubeconfig file"),
        );
    }
    let mut merged = Kubeconfig::default();
    for path in present {
        let one = Kubeconfig::read_from(path)
            .map_err(|e| fail(&format!("kubeconfig {}", path.display()), &e))?;
        merged = merged.merge(one).map_err(|e| fail(&source, &e))?;
    }
    Ok((merged, source))
}

/// kubectl's words for a name the kubeconfig does not have; kube's own ("failed to load current
/// context: nope") does not say what is missing.
fn check_names(
    kubeconfig: &Kubeconfig,
    context: Option<&str>,
    g: &GlobalArgs,
    source: &str,
) -> Result<()> {
    let hint = |what: &str| {
        format!(
            "{source} has no such {what}; `kubectl config get-contexts` lists the contexts, or pass --kubeconfig"
        )
    };
    let missing = |what: &str, name: &str| {
        Err(Error::cluster(format!("{what} \"{name}\" does not exist")).hint(hint(what)))
    };
    if let Some(name) = context.or(kubeconfig.current_context.as_deref()) {
        check_context(kubeconfig, name, source)?;
    }
    if let Some(name) = &g.cluster
        && !kubeconfig.clusters.iter().any(|c| &c.name == name)
    {
        return missing("cluster", name);
    }
    if let Some(name) = &g.user
        && !kubeconfig.auth_infos.iter().any(|u| &u.name == name)
    {
        return missing("user", name);
    }
    Ok(())
}

/// kubectl's words for a context the kubeconfig lacks. kubectl takes `--context a,b` as one
/// name, and so does this tool; when its parts are contexts, the hint says how to give several.
fn check_context(kubeconfig: &Kubeconfig, name: &str, source: &str) -> Result<()> {
    let known = |n: &str| kubeconfig.contexts.iter().any(|c| c.name == n);
    if known(name) {
        return Ok(());
    }
    let parts: Vec<&str> = name.split(',').map(str::trim).collect();
    let hint = if parts.len() > 1 && parts.iter().all(|p| known(p)) {
        format!(
            "to examine several clusters repeat the flag: {}",
            parts
                .iter()
                .map(|p| format!("--context {p}"))
                .collect::<Vec<_>>()
                .join(" ")
        )
    } else {
        format!(
            "{source} has no such context; `kubectl config get-contexts` lists the contexts, or pass --kubeconfig"
        )
    };
    Err(Error::cluster(format!("context \"{name}\" does not exist")).hint(hint))
}

/// The context and cluster names the client is built from, as kube picks them.
fn origin(kubeconfig: &Kubeconfig, context: Option<&str>, g: &GlobalArgs) -> Origin {
    let name = context
        .map(str::to_string)
        .or_else(|| kubeconfig.current_context.clone());
    let from_context = name.as_ref().and_then(|name| {
        kubeconfig
            .contexts
            .iter()
            .find(|c| &c.name == name)
            .and_then(|c| c.context.as_ref())
            .map(|c| c.cluster.clone())
    });
    Origin {
        name,
        cluster: g.cluster.clone().or(from_context),
    }
}

/// The exec credential plugin the chosen user runs, if any: (user, command).
fn exec_command(
    kubeconfig: &Kubeconfig,
    context: Option<&str>,
    g: &GlobalArgs,
) -> Option<(String, String)> {
    let context_name = context
        .map(str::to_string)
        .or_else(|| kubeconfig.current_context.clone());
    let from_context = context_name.and_then(|name| {
        kubeconfig
            .contexts
            .iter()
            .find(|c| c.name == name)
            .and_then(|c| c.context.as_ref())
            .and_then(|c| c.user.clone())
    });
    let user = g.user.clone().or(from_context)?;
    let info = kubeconfig.auth_infos.iter().find(|u| u.name == user)?;
    let command = info.auth_info.as_ref()?.exec.as_ref()?.command.clone()?;
    Some((user, command))
}

/// An exec credential plugin that cannot run or fails, in kubectl's terms: the command and its
/// error, never its arguments or output (they may hold secrets).
fn exec_failure(err: &kube::Error, exec: Option<&(String, String)>) -> Option<Error> {
    use kube::client::AuthError;
    let kube::Error::Auth(auth) = err else {
        return None;
    };
    let (user, command) = exec?;
    match auth {
        AuthError::AuthExecStart(io) if io.kind() == std::io::ErrorKind::NotFound => Some(
            Error::cluster(format!(
                "getting credentials for user \"{user}\": exec: executable {command} not found"
            ))
            .hint("install the credential plugin the kubeconfig names (users[].user.exec.command) or put it on PATH"),
        ),
        AuthError::AuthExecStart(io) => Some(
            Error::cluster(format!(
                "getting credentials for user \"{user}\": exec: cannot run {command}: {io}"
            ))
            .hint("check that the credential plugin is executable"),
        ),
        AuthError::AuthExecRun { out, .. } => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let why = stderr.lines().map(str::trim).find(|l| !l.is_empty());
            let status = match out.status.code() {
                Some(code) => format!("exit code {code}"),
                None => out.status.to_string(),
            };
            Some(
                Error::cluster(format!(
                    "getting credentials for user \"{user}\": exec: executable {command} failed with {status}{}",
                    why.map(|w| format!(": {w}")).unwrap_or_default()
                ))
                .hint("run the credential plugin yourself to see why (often: log in again)"),
            )
        }
        AuthError::AuthExecParse(e) => Some(
            Error::cluster(format!(
                "getting credentials for user \"{user}\": exec: {command} printed no valid ExecCredential: {}",
                flatten(e.as_ref())
            ))
            .hint("check the plugin's version against the kubeconfig's exec apiVersion"),
        ),
        _ => None,
    }
}
