package main

// `ksc-harness webhook --behaviour B --cert F --key F [--listen ADDR] [--message M]`: the
// well-behaved webhook fixtures, built on current k8s.io/api (the stripping one is the separate
// legacywebhook module, on purpose). It prints `listening HOST:PORT` once it accepts connections.
//
//	inject-container  adds a container named injected-proxy with a JSON patch `add`, touching
//	                  nothing else (so native sidecars survive it)
//	reject            denies every request with --message
//	allow             allows unchanged (also what no-dry-run webhooks do when called at all)
//
// --delay makes any behaviour answer that much later (the scenario's `slow` webhook).

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const injectedContainer = "injected-proxy"

func cmdWebhook(args []string) error {
	fs := flag.NewFlagSet("webhook", flag.ContinueOnError)
	behaviour := fs.String("behaviour", "allow", "inject-container | reject | allow")
	cert := fs.String("cert", "", "serving certificate (PEM)")
	key := fs.String("key", "", "serving key (PEM)")
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on")
	message := fs.String("message", "", "denial message for reject")
	delay := fs.Duration("delay", 0, "wait this long before answering each review (a slow webhook)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var decide func(*admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse
	switch *behaviour {
	case "inject-container":
		decide = injectContainer
	case "reject":
		msg := *message
		if msg == "" {
			msg = "denied by the ksc-harness reject webhook"
		}
		decide = func(r *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse {
			return &admissionv1.AdmissionResponse{Allowed: false, Result: &metav1.Status{Code: http.StatusForbidden, Message: msg, Reason: metav1.StatusReasonForbidden}}
		}
	case "allow":
		decide = func(*admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse {
			return &admissionv1.AdmissionResponse{Allowed: true}
		}
	default:
		return fmt.Errorf("webhook: unknown --behaviour %q", *behaviour)
	}
	if *cert == "" || *key == "" {
		return fmt.Errorf("webhook: --cert and --key are required")
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	if *delay > 0 {
		inner := decide
		decide = func(r *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse {
			time.Sleep(*delay)
			return inner(r)
		}
	}
	mux.HandleFunc("/mutate", admissionHandler(decide))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	fmt.Printf("listening %s\n", ln.Addr())
	_ = os.Stdout.Sync()
	return srv.ServeTLS(ln, *cert, *key)
}

func admissionHandler(decide func(*admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var review admissionv1.AdmissionReview
		if err := json.Unmarshal(body, &review); err != nil || review.Request == nil {
			http.Error(w, fmt.Sprintf("not an AdmissionReview: %v", err), http.StatusBadRequest)
			return
		}
		resp := decide(review.Request)
		resp.UID = review.Request.UID
		dry := review.Request.DryRun != nil && *review.Request.DryRun
		log.Printf("%s %s %s/%s dryRun=%t allowed=%t patched=%t", review.Request.Operation, review.Request.Resource.Resource,
			review.Request.Namespace, review.Request.Name, dry, resp.Allowed, len(resp.Patch) > 0)
		out := admissionv1.AdmissionReview{Response: resp}
		out.APIVersion, out.Kind = "admission.k8s.io/v1", "AdmissionReview"
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(out)
	}
}

// injectContainer appends one container; on reinvocation it does nothing if already there.
func injectContainer(r *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse {
	var pod corev1.Pod
	if err := json.Unmarshal(r.Object.Raw, &pod); err != nil {
		return &admissionv1.AdmissionResponse{Allowed: true}
	}
	for _, c := range pod.Spec.Containers {
		if c.Name == injectedContainer {
			return &admissionv1.AdmissionResponse{Allowed: true}
		}
	}
	patch, err := json.Marshal([]map[string]any{{
		"op": "add", "path": "/spec/containers/-",
		"value": map[string]any{"name": injectedContainer, "image": "registry.example/injected-proxy:1.0", "args": []string{"proxy"}},
	}})
	if err != nil {
		return &admissionv1.AdmissionResponse{Allowed: true}
	}
	pt := admissionv1.PatchTypeJSONPatch
	return &admissionv1.AdmissionResponse{Allowed: true, Patch: patch, PatchType: &pt}
}
