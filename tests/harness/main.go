// Command ksc-harness runs kubectl-sidecar's end-to-end scenarios: a real etcd and
// kube-apiserver, fake kubelets in a network namespace, real admission webhooks, and the
// objects a scenario file describes. tests/SCENARIOS.md is its manual.
//
//	ksc-harness up [--detach] [--k8s-bin DIR] --dir DIR SCENARIO.yaml
//	ksc-harness down --dir DIR | --all
//	ksc-harness kubelets --config FILE        (run by up, inside the namespace)
//	ksc-harness webhook --behaviour B ...     (run by up)
//	ksc-harness metrics [--version V] NODE    (print a fake kubelet's /metrics body)
//	ksc-harness faults --dir DIR [--proxy NAME] [--kubeconfig OUT] 'VERB TARGET ACTION'...
//	ksc-harness apiserver --dir DIR stop|start
//	ksc-harness latency --dir DIR DURATION      (delay every fake kubelet's answers)
package main

import (
	"fmt"
	"log"
	"os"
)

func main() {
	log.SetFlags(log.Ltime | log.Lmicroseconds)
	log.SetPrefix("ksc-harness: ")
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "up":
		err = cmdUp(os.Args[2:])
	case "down":
		err = cmdDown(os.Args[2:])
	case "kubelets":
		err = cmdKubelets(os.Args[2:])
	case "realnode":
		err = cmdRealNode(os.Args[2:])
	case "webhook":
		err = cmdWebhook(os.Args[2:])
	case "metrics":
		err = cmdMetrics(os.Args[2:])
	case "faults":
		err = cmdFaults(os.Args[2:])
	case "apiserver":
		err = cmdAPIServer(os.Args[2:])
	case "latency":
		err = cmdLatency(os.Args[2:])
	case "-h", "--help", "help":
		usage()
	default:
		fmt.Fprintf(os.Stderr, "ksc-harness: unknown command %q\n", os.Args[1])
		usage()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "ksc-harness %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprint(os.Stderr, `usage:
  ksc-harness up [--detach] [--k8s-bin DIR] --dir DIR SCENARIO.yaml
  ksc-harness down --dir DIR | --all
  ksc-harness metrics [--version vX.Y.Z] [--sidecar absent|ENABLED/STAGE] NODE
  ksc-harness faults --dir DIR [--proxy NAME] [--user admin|restricted] [--kubeconfig OUT] ['VERB TARGET ACTION'...]
  ksc-harness apiserver --dir DIR stop|start
  ksc-harness latency --dir DIR DURATION
See tests/SCENARIOS.md.
`)
	os.Exit(2)
}
