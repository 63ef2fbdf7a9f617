//! Black-box tests of `diff-pod` that need no cluster: bad input is one line on stderr and exit
//! 2 before any connection is tried; an unreachable cluster is one line and exit 3.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kubectl-sidecar"));
    cmd.env_remove("KUBECONFIG")
        .env("HOME", std::env::temp_dir().join("ksc-no-home"));
    cmd
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/manifests")
        .join(name)
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("the binary runs")
}

fn run_stdin(args: &[&str], input: &str) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(input.as_bytes())
            .expect("stdin accepts the input");
    }
    child.wait_with_output().expect("the binary finishes")
}

/// The one-line error contract: a single `error:` line on stderr, nothing on stdout.
fn assert_one_line_error(out: &Output, code: i32, needles: &[&str]) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "stderr: {err}");
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "one line expected, got: {err}"
    );
    assert!(err.starts_with("error: "), "{err}");
    for n in needles {
        assert!(err.contains(n), "{n:?} missing from: {err}");
    }
    assert!(out.stdout.is_empty(), "nothing on stdout on error");
}

fn path(p: &Path) -> &str {
    p.to_str().expect("fixture paths are UTF-8")
}

#[test]
fn neither_pod_nor_file_is_a_usage_error() {
    let out = run(&["diff-pod"]);
    assert_one_line_error(&out, 2, &["needs a POD name or -f"]);
}

#[test]
fn pod_and_file_together_are_refused_by_clap() {
    let f = fixture("pod.yaml");
    let out = run(&["diff-pod", "mypod", "-f", path(&f)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be used with"));
}

#[test]
fn missing_file() {
    let out = run(&["diff-pod", "-f", "/nonexistent/deploy.yaml"]);
    assert_one_line_error(&out, 2, &["cannot read /nonexistent/deploy.yaml"]);
}

#[test]
fn invalid_yaml_names_file_and_line() {
    let f = fixture("bad/invalid.yaml");
    let out = run(&["diff-pod", "-f", path(&f)]);
    assert_one_line_error(&out, 2, &["invalid.yaml: invalid YAML", "line"]);
}

#[test]
fn template_without_containers() {
    let f = fixture("bad/no-containers.yaml");
    let out = run(&["diff-pod", "-f", path(&f)]);
    assert_one_line_error(
        &out,
        2,
        &[
            "Deployment/empty",
            "spec.template.spec.containers is missing",
        ],
    );
}

#[test]
fn object_without_kind() {
    let f = fixture("bad/no-kind.yaml");
    let out = run(&["diff-pod", "-f", path(&f)]);
    assert_one_line_error(&out, 2, &["no-kind.yaml: the object has no kind"]);
}

#[test]
fn input_without_any_pod_template() {
    let f = fixture("bad/service.yaml");
    let out = run(&["diff-pod", "-f", path(&f)]);
    assert_one_line_error(
        &out,
        2,
        &[
            "no object in the input holds a pod template",
            "Service/only-a-service",
        ],
    );
}

#[test]
fn bad_stdin() {
    let out = run_stdin(&["diff-pod", "-f", "-"], "kind: [\n");
    assert_one_line_error(&out, 2, &["stdin: invalid YAML"]);
    let out = run_stdin(&["diff-pod", "-f", "-"], "");
    assert_one_line_error(&out, 2, &["stdin: no objects found"]);
    let out = run_stdin(&["diff-pod", "-f", "-"], "[1, 2]");
    assert_one_line_error(&out, 2, &["stdin: not a Kubernetes object"]);
}

#[test]
fn directory_without_manifests() {
    let dir = tempfile::tempdir().expect("a temp dir");
    std::fs::write(dir.path().join("notes.txt"), "hello").expect("write");
    let out = run(&["diff-pod", "-f", path(dir.path())]);
    assert_one_line_error(&out, 2, &["no .yaml, .yml or .json files"]);
}

#[test]
fn namespace_flag_must_agree_with_the_manifest() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let f = dir.path().join("ns.yaml");
    std::fs::write(
        &f,
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec: {containers: [{name: a, image: b}]}\n",
    )
    .expect("write");
    let out = run(&["diff-pod", "-f", path(&f), "-n", "other"]);
    assert_one_line_error(
        &out,
        2,
        &[
            "\"shop\" does not match the namespace \"other\"",
            "--namespace=shop",
        ],
    );
}

/// Bad input wins over a missing kubeconfig: the manifest is read before any connection.
#[test]
fn bad_manifest_fails_before_connecting() {
    let f = fixture("bad/invalid.yaml");
    let out = bin()
        .args([
            "diff-pod",
            "-f",
            path(&f),
            "--kubeconfig",
            "/nonexistent/kubeconfig",
        ])
        .output()
        .expect("runs");
    assert_one_line_error(&out, 2, &["invalid YAML"]);
}

#[test]
fn unreachable_cluster_is_exit_3() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let kubeconfig = dir.path().join("config");
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: \"https://127.0.0.1:1\", insecure-skip-tls-verify: true}\nusers:\n- name: u\n  user: {token: t}\ncontexts:\n- name: x\n  context: {cluster: c, user: u, namespace: ns}\ncurrent-context: x\n",
    )
    .expect("write");
    let f = fixture("deployment-sidecar.yaml");
    let out = bin()
        .args([
            "diff-pod",
            "-f",
            path(&f),
            "--kubeconfig",
            path(&kubeconfig),
            "--request-timeout",
            "5s",
        ])
        .output()
        .expect("runs");
    assert_one_line_error(&out, 3, &["GET /version"]);
    let out = bin()
        .args([
            "diff-pod",
            "some-pod",
            "--kubeconfig",
            path(&kubeconfig),
            "--request-timeout",
            "5s",
        ])
        .output()
        .expect("runs");
    assert_one_line_error(&out, 3, &["GET /version"]);
}

/// A plain-HTTP stand-in for the apiserver on loopback, answering each request as `answer`
/// says: enough to drive diff-pod through stalls, refusals and failures without a cluster.
mod fake {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::path::PathBuf;
    use std::sync::Arc;
    use std::time::Duration;

    use serde_json::Value;

    pub enum Answer {
        Json(u16, Value),
        Text(u16, &'static str),
        /// Accept the request and never answer.
        Stall,
    }

    pub type Answerer = dyn Fn(&str, &str, &[u8]) -> Answer + Send + Sync;

    pub struct Apiserver {
        pub kubeconfig: PathBuf,
        _dir: tempfile::TempDir,
    }

    pub fn start(
        answer: impl Fn(&str, &str, &[u8]) -> Answer + Send + Sync + 'static,
    ) -> Apiserver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let port = listener.local_addr().expect("its address").port();
        let answer: Arc<Answerer> = Arc::new(answer);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let answer = Arc::clone(&answer);
                std::thread::spawn(move || serve(stream, &*answer));
            }
        });
        let dir = tempfile::tempdir().expect("a temp dir");
        let kubeconfig = dir.path().join("config");
        std::fs::write(
            &kubeconfig,
            format!(
                "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {{server: \"http://127.0.0.1:{port}\"}}\nusers:\n- name: u\n  user: {{}}\ncontexts:\n- name: x\n  context: {{cluster: c, user: u, namespace: ns}}\ncurrent-context: x\n"
            ),
        )
        .expect("write the kubeconfig");
        Apiserver {
            kubeconfig,
            _dir: dir,
        }
    }

    fn serve(stream: TcpStream, answer: &Answerer) {
        let mut reader = BufReader::new(stream.try_clone().expect("clone the stream"));
        let mut line = String::new();
        if reader.read_line(&mut line).is_err() {
            return;
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or("").to_string();
        let path = parts.next().unwrap_or("").to_string();
        let mut length = 0usize;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                break;
            }
            if let Some((k, v)) = header.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let (status, kind, text) = match answer(&method, &path, &body) {
            Answer::Stall => {
                std::thread::sleep(Duration::from_secs(600));
                return;
            }
            Answer::Json(status, v) => (status, "application/json", v.to_string()),
            Answer::Text(status, t) => (status, "text/html", t.to_string()),
        };
        let mut stream = stream;
        let _ = write!(
            stream,
            "HTTP/1.1 {status} X\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
            text.len()
        );
    }

    /// The answers of a healthy apiserver with no webhooks, whose dry run returns the pod as sent
    /// (named), after `admit` had its say.
    pub fn healthy(method: &str, path: &str, body: &[u8], admit: impl Fn(&mut Value)) -> Answer {
        let path = path.split('?').next().unwrap_or("");
        match (method, path) {
            ("GET", "/version") => Answer::Json(200, serde_json::json!({"gitVersion": "v1.37.2"})),
            ("GET", "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations") => {
                Answer::Json(
                    200,
                    serde_json::json!({"kind": "MutatingWebhookConfigurationList", "metadata": {}, "items": []}),
                )
            }
            ("GET", p) if p.starts_with("/api/v1/namespaces/") => Answer::Json(
                200,
                serde_json::json!({"kind": "Namespace", "metadata": {"name": "ns", "labels": {}}}),
            ),
            ("POST", p) if p.ends_with("/pods") => {
                let mut pod: Value = serde_json::from_slice(body).unwrap_or_default();
                pod["metadata"]["name"] = Value::String("web-abcde".into());
                admit(&mut pod);
                Answer::Json(201, pod)
            }
            _ => Answer::Json(
                404,
                serde_json::json!({"kind": "Status", "status": "Failure", "reason": "NotFound", "code": 404, "message": "not found"}),
            ),
        }
    }
}

use fake::Answer;

fn against(api: &fake::Apiserver, args: &[&str]) -> (Output, std::time::Duration) {
    let started = std::time::Instant::now();
    let out = bin()
        .args(args)
        .args(["--kubeconfig", path(&api.kubeconfig)])
        .output()
        .expect("runs");
    (out, started.elapsed())
}

fn report(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn objects_gaps(r: &serde_json::Value) -> &Vec<serde_json::Value> {
    let section = &r["coverage"]["sections"][1];
    assert_eq!(section["section"], "objects", "{r:#}");
    section["gaps"].as_array().expect("gaps")
}

#[test]
fn a_stalled_dry_run_ends_at_the_run_timeout_as_incomplete() {
    let api = fake::start(|method, path, body| {
        if method == "POST" {
            Answer::Stall
        } else {
            fake::healthy(method, path, body, |_| {})
        }
    });
    let f = fixture("list.json");
    let (out, took) = against(
        &api,
        &["diff-pod", "-f", path(&f), "-o", "json", "--timeout", "3s"],
    );
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(took < std::time::Duration::from_secs(8), "took {took:?}");
    let r = report(&out);
    for o in r["objects"].as_array().expect("objects") {
        assert_eq!(o["result"], "not-run", "{r:#}");
    }
    let gaps = objects_gaps(&r);
    assert_eq!(gaps.len(), 2, "{r:#}");
    assert!(gaps.iter().all(|g| g["cause"] == "timeout"), "{r:#}");
    assert!(
        gaps[0]["detail"]
            .as_str()
            .unwrap_or("")
            .contains("--timeout (3s)"),
        "{r:#}"
    );
    assert_eq!(r["coverage"]["sections"][1]["examined"], 0);
}

#[test]
fn a_stalled_dry_run_ends_at_the_request_timeout() {
    let api = fake::start(|method, path, body| {
        if method == "POST" {
            Answer::Stall
        } else {
            fake::healthy(method, path, body, |_| {})
        }
    });
    let f = fixture("deployment-sidecar.yaml");
    let (out, took) = against(
        &api,
        &[
            "diff-pod",
            "-f",
            path(&f),
            "--request-timeout",
            "1s",
            "--timeout",
            "30s",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(took < std::time::Duration::from_secs(10), "took {took:?}");
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("not-compared (timeout)"), "{table}");
    assert!(
        table.contains("raise --request-timeout / --timeout"),
        "{table}"
    );
    assert!(
        table
            .trim_end()
            .ends_with("incomplete: not fully examined: objects"),
        "{table}"
    );
}

#[test]
fn a_stalled_apiserver_is_unusable_within_the_timeout() {
    let api = fake::start(|_, _, _| Answer::Stall);
    let f = fixture("deployment-sidecar.yaml");
    let (out, took) = against(&api, &["diff-pod", "-f", path(&f), "--timeout", "2s"]);
    assert_one_line_error(&out, 3, &["GET /version", "--timeout"]);
    assert!(took < std::time::Duration::from_secs(7), "took {took:?}");
}

#[test]
fn a_failing_dry_run_is_incomplete_with_its_cause() {
    let api = fake::start(|method, path, body| {
        if method == "POST" {
            Answer::Text(500, "<html><body>\n<h1>oops</h1></body></html>")
        } else {
            fake::healthy(method, path, body, |_| {})
        }
    });
    let f = fixture("deployment-sidecar.yaml");
    let (out, _) = against(&api, &["diff-pod", "-f", path(&f), "-o", "yaml"]);
    assert_eq!(out.status.code(), Some(4));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("cause: serverError"), "{text}");
    assert!(text.contains("id: dry-run-failed"), "{text}");
}

#[test]
fn a_forbidden_dry_run_names_the_permission() {
    let api = fake::start(|method, path, body| {
        if method == "POST" {
            Answer::Json(
                403,
                serde_json::json!({"kind": "Status", "status": "Failure", "reason": "Forbidden", "code": 403,
                "message": "pods is forbidden: User \"u\" cannot create resource \"pods\" in API group \"\" in the namespace \"ns\""}),
            )
        } else {
            fake::healthy(method, path, body, |_| {})
        }
    });
    let f = fixture("deployment-sidecar.yaml");
    let (out, _) = against(&api, &["diff-pod", "-f", path(&f), "-o", "json"]);
    assert_eq!(out.status.code(), Some(4));
    let r = report(&out);
    let gaps = objects_gaps(&r);
    assert_eq!(gaps[0]["cause"], "forbidden");
    assert_eq!(gaps[0]["permission"], "create pods");
}

#[test]
fn webhooks_that_cannot_be_listed_degrade_only_the_attribution() {
    let forbidden = |method: &str, path: &str, body: &[u8], strip: bool| {
        if path.contains("mutatingwebhookconfigurations") {
            return Answer::Json(
                403,
                serde_json::json!({"kind": "Status", "status": "Failure", "reason": "Forbidden", "code": 403,
                "message": "mutatingwebhookconfigurations.admissionregistration.k8s.io is forbidden"}),
            );
        }
        fake::healthy(method, path, body, |pod| {
            if strip {
                pod["spec"]["initContainers"][0]
                    .as_object_mut()
                    .map(|c| c.remove("restartPolicy"));
            }
        })
    };
    let f = fixture("deployment-sidecar.yaml");
    let api = fake::start(move |m, p, b| forbidden(m, p, b, false));
    let (out, _) = against(&api, &["diff-pod", "-f", path(&f), "-o", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let r = report(&out);
    let admission = &r["coverage"]["sections"][0];
    assert_eq!(admission["section"], "admission");
    assert_eq!(admission["decisive"], false);
    assert_eq!(admission["gaps"][0]["cause"], "forbidden");
    assert_eq!(
        admission["gaps"][0]["permission"],
        "list mutatingwebhookconfigurations"
    );

    let api = fake::start(move |m, p, b| forbidden(m, p, b, true));
    let (out, _) = against(&api, &["diff-pod", "-f", path(&f)]);
    assert_eq!(out.status.code(), Some(1));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("Who did it is unknown: the mutating webhooks could not be listed"),
        "{table}"
    );
    assert!(
        table.contains(
            "admission: 1 of 2 lookups examined: list mutatingwebhookconfigurations: forbidden"
        ),
        "{table}"
    );
}

#[test]
fn secrets_in_the_manifest_reach_no_output() {
    const SECRET: &str = "S3CRET-MARKER-7f3a9";
    let dir = tempfile::tempdir().expect("a temp dir");
    let manifest = dir.path().join("secret.yaml");
    std::fs::write(
        &manifest,
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  annotations: {{vault.example.com/token: {SECRET}}}\nspec:\n  selector: {{matchLabels: {{app: web}}}}\n  template:\n    metadata:\n      labels: {{app: web}}\n      annotations: {{vault.example.com/token: {SECRET}}}\n    spec:\n      initContainers:\n      - name: proxy\n        image: envoy\n        restartPolicy: Always\n        command: [sh, -c, \"run {SECRET}\"]\n      containers:\n      - name: app\n        image: nginx\n        args: [\"--token={SECRET}\"]\n        env: [{{name: TOKEN, value: {SECRET}}}]\n"
        ),
    )
    .expect("write the manifest");
    let api = fake::start(|method, path, body| {
        fake::healthy(method, path, body, |pod| {
            pod["spec"]["initContainers"][0]
                .as_object_mut()
                .map(|c| c.remove("restartPolicy"));
            pod["spec"]["containers"][0]["env"][0]["value"] =
                serde_json::json!(format!("{SECRET}-rotated"));
            pod["spec"]["containers"][0]["args"] = serde_json::json!([SECRET, "-v"]);
            pod["metadata"]["annotations"]["injected/secret"] = serde_json::json!(SECRET);
        })
    });
    for format in ["table", "wide", "json", "yaml"] {
        for extra in [&[][..], &["--show-defaults"][..]] {
            let mut args = vec!["diff-pod", "-f", path(&manifest), "-o", format];
            args.extend_from_slice(extra);
            let (out, _) = against(&api, &args);
            assert_eq!(
                out.status.code(),
                Some(1),
                "{format}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let all = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(
                !all.contains(SECRET),
                "{format} {extra:?} shows the secret:\n{all}"
            );
            assert!(all.contains("(redacted"), "{format}: {all}");
        }
    }
}
