//! `diff-pod` with no cluster: bad input is one line on stderr and exit 2 before any connection
//! is tried; an unreachable cluster is one line and exit 3; a loopback stand-in apiserver
//! drives it through stalls, refusals and failures.

use std::time::Duration;

use crate::case::{Case, Run, fixture};

fn manifest(name: &str) -> String {
    fixture(&format!("manifests/{name}"))
}

#[test]
fn neither_pod_nor_file_is_a_usage_error() {
    Case::new(["diff-pod"])
        .run()
        .one_line_error(2, &["needs a POD name or -f"]);
}

#[test]
fn pod_and_file_together_are_refused_by_clap() {
    Case::new(["diff-pod", "mypod", "-f", &manifest("pod.yaml")])
        .run()
        .exit(2)
        .stderr_has("cannot be used with");
}

#[test]
fn missing_file() {
    Case::new(["diff-pod", "-f", "/nonexistent/deploy.yaml"])
        .run()
        .one_line_error(2, &["cannot read /nonexistent/deploy.yaml"]);
}

#[test]
fn invalid_yaml_names_file_and_line() {
    Case::new(["diff-pod", "-f", &manifest("bad/invalid.yaml")])
        .run()
        .one_line_error(2, &["invalid.yaml: invalid YAML", "line"]);
}

#[test]
fn template_without_containers() {
    Case::new(["diff-pod", "-f", &manifest("bad/no-containers.yaml")])
        .run()
        .one_line_error(
            2,
            &[
                "Deployment/empty",
                "spec.template.spec.containers is missing",
            ],
        );
}

#[test]
fn object_without_kind() {
    Case::new(["diff-pod", "-f", &manifest("bad/no-kind.yaml")])
        .run()
        .one_line_error(2, &["no-kind.yaml: the object has no kind"]);
}

#[test]
fn input_without_any_pod_template() {
    Case::new(["diff-pod", "-f", &manifest("bad/service.yaml")])
        .run()
        .one_line_error(
            2,
            &[
                "no object in the input holds a pod template",
                "Service/only-a-service",
            ],
        );
}

#[test]
fn bad_stdin() {
    let from_stdin = |input: &str| Case::new(["diff-pod", "-f", "-"]).stdin(input).run();
    from_stdin("kind: [\n").one_line_error(2, &["stdin: invalid YAML"]);
    from_stdin("").one_line_error(2, &["stdin: no objects found"]);
    from_stdin("[1, 2]").one_line_error(2, &["stdin: not a Kubernetes object"]);
}

#[test]
fn directory_without_manifests() {
    let dir = tempfile::tempdir().expect("a temp dir");
    std::fs::write(dir.path().join("notes.txt"), "hello").expect("write");
    Case::new(["diff-pod", "-f"])
        .arg(dir.path())
        .run()
        .one_line_error(2, &["no .yaml, .yml or .json files"]);
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
    Case::new(["diff-pod", "-f"])
        .arg(&f)
        .args(["-n", "other"])
        .run()
        .one_line_error(
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
    Case::new([
        "diff-pod",
        "-f",
        &manifest("bad/invalid.yaml"),
        "--kubeconfig",
        "/nonexistent/kubeconfig",
    ])
    .run()
    .one_line_error(2, &["invalid YAML"]);
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
    for target in [
        &["-f", &manifest("deployment-sidecar.yaml")][..],
        &["some-pod"][..],
    ] {
        Case::new(["diff-pod"])
            .args(target)
            .arg("--kubeconfig")
            .arg(&kubeconfig)
            .args(["--request-timeout", "5s"])
            .run()
            .one_line_error(3, &["GET /version"]);
    }
}

/// A plain-HTTP stand-in for the apiserver on loopback, answering each request as `answer`
/// says: enough to drive diff-pod through stalls, refusals and failures without a cluster.
pub mod fake {
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

fn against(api: &fake::Apiserver, args: &[&str]) -> Run {
    Case::new(args)
        .arg("--kubeconfig")
        .arg(&api.kubeconfig)
        .run()
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
    let f = manifest("list.json");
    let out = against(
        &api,
        &["diff-pod", "-f", &f, "-o", "json", "--timeout", "3s"],
    );
    out.exit(4);
    assert!(out.took() < Duration::from_secs(8), "took {:?}", out.took());
    let r = out.json();
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
    let f = manifest("deployment-sidecar.yaml");
    let out = against(
        &api,
        &[
            "diff-pod",
            "-f",
            &f,
            "--request-timeout",
            "1s",
            "--timeout",
            "30s",
        ],
    );
    out.exit(4);
    assert!(
        out.took() < Duration::from_secs(10),
        "took {:?}",
        out.took()
    );
    out.stdout_has("not-compared (timeout)")
        .stdout_has("raise --request-timeout / --timeout");
    assert!(
        out.stdout()
            .trim_end()
            .ends_with("incomplete: not fully examined: objects"),
        "{}",
        out.stdout()
    );
}

#[test]
fn a_stalled_apiserver_is_unusable_within_the_timeout() {
    let api = fake::start(|_, _, _| Answer::Stall);
    let f = manifest("deployment-sidecar.yaml");
    let out = against(&api, &["diff-pod", "-f", &f, "--timeout", "2s"]);
    out.one_line_error(3, &["GET /version", "--timeout"]);
    assert!(out.took() < Duration::from_secs(7), "took {:?}", out.took());
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
    let f = manifest("deployment-sidecar.yaml");
    against(&api, &["diff-pod", "-f", &f, "-o", "yaml"])
        .exit(4)
        .stdout_has("cause: serverError")
        .stdout_has("id: dry-run-failed");
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
    let f = manifest("deployment-sidecar.yaml");
    let r = against(&api, &["diff-pod", "-f", &f, "-o", "json"])
        .exit(4)
        .json();
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
    let f = manifest("deployment-sidecar.yaml");
    let api = fake::start(move |m, p, b| forbidden(m, p, b, false));
    let r = against(&api, &["diff-pod", "-f", &f, "-o", "json"])
        .exit(0)
        .json();
    let admission = &r["coverage"]["sections"][0];
    assert_eq!(admission["section"], "admission");
    assert_eq!(admission["decisive"], false);
    assert_eq!(admission["gaps"][0]["cause"], "forbidden");
    assert_eq!(
        admission["gaps"][0]["permission"],
        "list mutatingwebhookconfigurations"
    );

    let api = fake::start(move |m, p, b| forbidden(m, p, b, true));
    against(&api, &["diff-pod", "-f", &f])
        .exit(1)
        .stdout_has("Who did it is unknown: the mutating webhooks could not be listed")
        .stdout_has(
            "admission: 1 of 2 lookups examined: list mutatingwebhookconfigurations: forbidden",
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
    let manifest = manifest.to_str().expect("a UTF-8 temp path");
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
            let mut args = vec!["diff-pod", "-f", manifest, "-o", format];
            args.extend_from_slice(extra);
            let out = against(&api, &args);
            out.exit(1);
            let all = format!("{}{}", out.stdout(), out.stderr());
            assert!(
                !all.contains(SECRET),
                "{format} {extra:?} shows the secret:\n{all}"
            );
            assert!(all.contains("(redacted"), "{format}: {all}");
        }
    }
}
