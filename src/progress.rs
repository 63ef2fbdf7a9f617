//! The one progress line check-nodes draws on a terminal's stderr: it names what the run is
//! waiting for right now, so that a slow run shows where its time goes ("listing nodes",
//! "reading kubelet metrics 12/200, waiting for node-x").

use std::sync::Mutex;

/// Longest line drawn: a wrapped line would defeat the carriage return that redraws it.
const WIDTH: usize = 79;

/// Collection's progress. Silent unless `enabled` (stderr is a terminal).
pub struct Progress {
    enabled: bool,
    state: Mutex<State>,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct State {
    /// Reads under way apart from the kubelets', in the order they started.
    pub pending: Vec<&'static str>,
    pub kubelets_total: usize,
    pub kubelets_done: usize,
    /// Kubelets being read, oldest first: the first is the one the run waits for longest.
    pub waiting: Vec<String>,
}

impl State {
    /// The line for this state; None once nothing is pending.
    pub fn line(&self) -> Option<String> {
        let text = if self.kubelets_total > 0 && self.kubelets_done < self.kubelets_total {
            let mut t = format!(
                "reading kubelet metrics {}/{}",
                self.kubelets_done, self.kubelets_total
            );
            if let Some(first) = self.waiting.first() {
                t.push_str(&format!(", waiting for {first}"));
            }
            t
        } else if self.pending.contains(&LISTING_NODES) {
            LISTING_NODES.to_string()
        } else if !self.pending.is_empty() {
            format!("waiting for {}", self.pending.join(", "))
        } else {
            return None;
        };
        Some(text.chars().take(WIDTH).collect())
    }
}

pub const LISTING_NODES: &str = "listing nodes";

impl Progress {
    pub fn new(enabled: bool) -> Self {
        Self {
            enabled,
            state: Mutex::new(State::default()),
        }
    }

    fn update(&self, change: impl FnOnce(&mut State)) {
        if !self.enabled {
            return;
        }
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        change(&mut state);
        match state.line() {
            Some(line) => crate::output::note(&format!("\r{line}\x1b[K")),
            None => crate::output::note("\r\x1b[K"),
        }
    }

    /// Runs `fut`, naming `what` as pending until it is done.
    pub async fn around<T>(&self, what: &'static str, fut: impl Future<Output = T>) -> T {
        self.update(|s| s.pending.push(what));
        let out = fut.await;
        self.update(|s| s.pending.retain(|p| *p != what));
        out
    }

    pub fn kubelets(&self, total: usize) {
        self.update(|s| {
            s.kubelets_total = total;
            s.kubelets_done = 0;
        });
    }

    pub fn kubelet_started(&self, node: &str) {
        self.update(|s| s.waiting.push(node.to_string()));
    }

    pub fn kubelet_done(&self, node: &str) {
        self.update(|s| {
            s.waiting.retain(|n| n != node);
            s.kubelets_done += 1;
        });
    }

    /// Erases the line, so that the report starts on a clean terminal.
    pub fn clear(&self) {
        if self.enabled {
            crate::output::note("\r\x1b[K");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_names_what_is_waited_for() {
        let mut s = State::default();
        assert_eq!(s.line(), None);
        s.pending = vec!["the apiserver's /metrics", LISTING_NODES];
        assert_eq!(s.line().as_deref(), Some("listing nodes"));
        s.pending.retain(|p| *p != LISTING_NODES);
        s.kubelets_total = 200;
        s.kubelets_done = 12;
        s.waiting = vec!["node-x".into(), "node-y".into()];
        assert_eq!(
            s.line().as_deref(),
            Some("reading kubelet metrics 12/200, waiting for node-x")
        );
        s.kubelets_done = 200;
        s.waiting.clear();
        assert_eq!(
            s.line().as_deref(),
            Some("waiting for the apiserver's /metrics")
        );
        s.waiting = vec!["n".repeat(300)];
        s.kubelets_done = 1;
        assert_eq!(s.line().unwrap().chars().count(), WIDTH);
    }

    #[test]
    fn silent_unless_enabled() {
        // Nothing to observe on stderr here; this only proves the disabled path keeps no state.
        let p = Progress::new(false);
        p.kubelets(3);
        p.kubelet_started("a");
        assert_eq!(*p.state.lock().unwrap(), State::default());
    }
}
