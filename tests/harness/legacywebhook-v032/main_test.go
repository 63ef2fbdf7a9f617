package main

import (
	"encoding/json"
	"testing"
)

// The fixture is only worth having if its types really keep one field and lose the other.
func TestKeepsRestartPolicyDropsRules(t *testing.T) {
	pod := `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{
	  "initContainers":[{"name":"proxy","image":"x","restartPolicy":"Always"}],
	  "containers":[{"name":"app","image":"x","restartPolicy":"Never",
	    "restartPolicyRules":[{"action":"Restart","exitCodes":{"operator":"In","values":[42]}}]}]}}`
	patch, err := reencode([]byte(pod))
	if err != nil {
		t.Fatal(err)
	}
	var ops []struct {
		Op    string `json:"op"`
		Path  string `json:"path"`
		Value struct {
			InitContainers []map[string]any `json:"initContainers"`
			Containers     []map[string]any `json:"containers"`
		} `json:"value"`
	}
	if err := json.Unmarshal(patch, &ops); err != nil || len(ops) != 1 {
		t.Fatalf("patch %s: %v", patch, err)
	}
	spec := ops[0].Value
	if ops[0].Op != "replace" || ops[0].Path != "/spec" {
		t.Fatalf("patch %s", patch)
	}
	if got := spec.InitContainers[0]["restartPolicy"]; got != "Always" {
		t.Errorf("init restartPolicy = %v, want Always (v0.28+ types know it)", got)
	}
	if got := spec.Containers[0]["restartPolicy"]; got != "Never" {
		t.Errorf("container restartPolicy = %v, want Never", got)
	}
	if _, ok := spec.Containers[0]["restartPolicyRules"]; ok {
		t.Errorf("restartPolicyRules survived: %s (the types are newer than v0.33?)", patch)
	}
}
