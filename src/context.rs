//! The resolved context: raw flags become one value, built once, that every command receives.
//! No command reads flags or the environment itself.

use std::io::IsTerminal;
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig};

use crate::access::{Budget, USER_AGENT};
use crate::cli::{ColorChoice, GlobalArgs, OutputFormat};
use crate::duration;
use crate::error::{Error, Result, flatten};

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
            output: global.output.unwrap_or(default_output),
            color,
            progress: std::io::stderr().is_terminal(),
            namespace_flag: global.namespace.clone(),
            request_timeout,
            budget,
            cluster: None,
            global: global.clone(),
        })
    }

    /// Loads the kubeconfig (KUBECONFIG may list several files, merged as kubectl merges them),
    /// applies --context/--cluster/--user/--as/--as-group/--request-timeout, and builds the client.
    pub async fn connect(mut self) -> Result<Self> {
        let g = &self.global;
        let (kubeconfig, source) = match &g.kubeconfig {
            Some(path) => (
                Kubeconfig::read_from(path),
                format!("kubeconfig {}", path.display()),
            ),
            None => (Kubeconfig::read(), kubeconfig_source()),
        };
        let kubeconfig = kubeconfig.map_err(|e| {
            Error::cluster(format!("cannot load {source}: {}", flatten(&e)))
                .hint("pass --kubeconfig PATH or set KUBECONFIG to a valid kubeconfig file")
        })?;
        let options = KubeConfigOptions {
            context: g.context.clone(),
            cluster: g.cluster.clone(),
            user: g.user.clone(),
        };
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
        let socket_limit = self
            .request_timeout
            .unwrap_or(self.budget.timeout)
            .min(self.budget.timeout);
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
            Error::cluster(format!("cannot build a client for {server}: {}", flatten(&e)))
                .hint("check the cluster's certificate-authority and the user's credentials in the kubeconfig")
        })?;
        self.cluster = Some(Cluster {
            client,
            namespace,
            server,
        });
        Ok(self)
    }

    /// The cluster connection; commands call this only after `connect`.
    pub fn cluster(&self) -> &Cluster {
        self.cluster
            .as_ref()
            .expect("connect() runs before any command that talks to the cluster")
    }
}

fn kubeconfig_source() -> String {
    match std::env::var("KUBECONFIG") {
        Ok(v) if !v.is_empty() => format!("KUBECONFIG={v}"),
        _ => "~/.kube/config".to_string(),
    }
}
