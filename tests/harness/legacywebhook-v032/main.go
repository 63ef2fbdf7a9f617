// Command ksc-legacy-webhook-v032 is a mutating admission webhook compiled against k8s.io/api
// v0.32, whose corev1.Container has RestartPolicy (added in v0.28) but not RestartPolicyRules
// (added in v0.34). Like ksc-legacy-webhook (v0.27) it decodes the whole pod into those types and
// answers with a patch that replaces /spec with the re-encoded spec: `restartPolicy` survives,
// `restartPolicyRules` is lost because the types never knew it. This is the webhook of most
// injectors today: new enough for native sidecars, too old for ContainerRestartRules (1.35+).
//
// Its own Go module, so that nothing can upgrade k8s.io/api under it.
//
//	ksc-legacy-webhook-v032 --cert FILE --key FILE [--listen 127.0.0.1:0]
//
// It prints `listening HOST:PORT` on stdout once it accepts connections.
package main

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
)

func main() {
	cert := flag.String("cert", "", "serving certificate (PEM)")
	key := flag.String("key", "", "serving key (PEM)")
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	flag.Parse()
	if *cert == "" || *key == "" {
		log.Fatal("ksc-legacy-webhook-v032: --cert and --key are required")
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatalf("ksc-legacy-webhook-v032: listen %s: %v", *listen, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/mutate", mutate)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	fmt.Printf("listening %s\n", ln.Addr())
	_ = os.Stdout.Sync()
	log.Fatal(srv.ServeTLS(ln, *cert, *key))
}

func mutate(w http.ResponseWriter, r *http.Request) {
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
	log.Printf("review %s %s/%s dryRun=%v", review.Request.Operation, review.Request.Namespace, review.Request.Name, review.Request.DryRun != nil && *review.Request.DryRun)
	resp := &admissionv1.AdmissionResponse{UID: review.Request.UID, Allowed: true}
	if patch, err := reencode(review.Request.Object.Raw); err != nil {
		log.Printf("ksc-legacy-webhook-v032: %v (allowing unchanged)", err)
	} else {
		pt := admissionv1.PatchTypeJSONPatch
		resp.Patch = patch
		resp.PatchType = &pt
	}
	out := admissionv1.AdmissionReview{TypeMeta: review.TypeMeta, Response: resp}
	out.APIVersion = "admission.k8s.io/v1"
	out.Kind = "AdmissionReview"
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

// reencode is the whole "bug": the pod through the v0.32 types and back, as one replace patch.
func reencode(raw []byte) ([]byte, error) {
	var pod corev1.Pod
	if err := json.Unmarshal(raw, &pod); err != nil {
		return nil, fmt.Errorf("cannot decode pod: %w", err)
	}
	patch, err := json.Marshal([]map[string]any{{"op": "replace", "path": "/spec", "value": pod.Spec}})
	if err != nil {
		return nil, fmt.Errorf("cannot encode patch: %w", err)
	}
	return patch, nil
}
