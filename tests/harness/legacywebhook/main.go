// Command ksc-legacy-webhook is a mutating admission webhook compiled against k8s.io/api v0.27,
// whose corev1.Container has no RestartPolicy field. Like the injectors publicly reported to
// break native sidecars, it decodes the whole pod into those types and answers with a patch that
// replaces /spec with the re-encoded spec, so `restartPolicy: Always` on init containers is lost
// because the old types never knew it, not because this code removes it.
//
// It lives in its own Go module so that the old k8s.io/api cannot be upgraded by the harness's
// module graph: the bug depends on the version of the types, not on any line written here.
//
//	ksc-legacy-webhook --cert FILE --key FILE [--listen 127.0.0.1:0]
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
		log.Fatal("ksc-legacy-webhook: --cert and --key are required")
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatalf("ksc-legacy-webhook: listen %s: %v", *listen, err)
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
	resp := &admissionv1.AdmissionResponse{UID: review.Request.UID, Allowed: true}
	var pod corev1.Pod
	if err := json.Unmarshal(review.Request.Object.Raw, &pod); err != nil {
		log.Printf("ksc-legacy-webhook: cannot decode pod: %v (allowing unchanged)", err)
	} else {
		patch, err := json.Marshal([]map[string]any{{"op": "replace", "path": "/spec", "value": pod.Spec}})
		if err != nil {
			log.Printf("ksc-legacy-webhook: cannot encode patch: %v (allowing unchanged)", err)
		} else {
			pt := admissionv1.PatchTypeJSONPatch
			resp.Patch = patch
			resp.PatchType = &pt
		}
	}
	out := admissionv1.AdmissionReview{TypeMeta: review.TypeMeta, Response: resp}
	out.APIVersion = "admission.k8s.io/v1"
	out.Kind = "AdmissionReview"
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}
