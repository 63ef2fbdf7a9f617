package main

// The hostile fake kubelets (nodes[].metrics.mode reset, garbage, huge): what a broken or
// malicious kubelet can send back through the apiserver's node proxy. A reader of kubelet
// metrics must survive each with a bounded answer time and bounded memory.

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
)

// resetAll accepts every connection and resets it at once (RST, not FIN): a kubelet that crashes
// or a middlebox that kills connections.
func resetAll(ln *net.TCPListener) error {
	for {
		c, err := ln.AcceptTCP()
		if err != nil {
			return err
		}
		_ = c.SetLinger(0)
		_ = c.Close()
	}
}

// garbageBody is 256 KiB of pseudo-random bytes (seeded by the node name, so the same on every
// request), served with status 200 and the text exposition Content-Type.
func garbageBody(node string) []byte {
	rnd := rand.New(rand.NewPCG(fnvHash(node), 0x6761726261676521))
	b := make([]byte, 256<<10)
	for i := range b {
		b[i] = byte(rnd.Uint32())
	}
	return b
}

const (
	hugeLine  = 16 << 20 // one line of 16 MiB
	hugeTotal = 50 << 20 // filler families until the body reaches 50 MiB
)

// writeHuge streams a ~50 MiB body: a 16 MiB comment line, then filler gauge families (named
// aaa_ksc_filler_*, so they sort before every real family) up to 50 MiB, then the node's normal
// metrics text, gate family included. It is generated as it is sent: the fake kubelet never
// holds it.
func writeHuge(w http.ResponseWriter, text []byte) {
	bw := bufio.NewWriterSize(w, 64<<10)
	defer bw.Flush()
	written := 0
	put := func(s string) bool {
		n, err := bw.WriteString(s)
		written += n
		return err == nil
	}
	if !put("# HELP aaa_ksc_enormous_line ") {
		return
	}
	chunk := strings.Repeat("x", 64<<10)
	for written < hugeLine {
		if !put(chunk) {
			return
		}
	}
	if !put("\n# TYPE aaa_ksc_enormous_line gauge\naaa_ksc_enormous_line 1\n") {
		return
	}
	var fam strings.Builder
	for f := 0; written < hugeTotal; f++ {
		fam.Reset()
		name := fmt.Sprintf("aaa_ksc_filler_%06d", f)
		fmt.Fprintf(&fam, "# HELP %s Filler before the gate family, to make the body huge.\n# TYPE %s gauge\n", name, name)
		for i := 0; i < 64; i++ {
			fmt.Fprintf(&fam, "%s{shard=\"%d\",pad=\"%s\"} %d\n", name, i, "abcdefghijklmnopqrstuvwxyz0123456789", i)
		}
		if !put(fam.String()) {
			return
		}
	}
	_, _ = bw.Write(text)
}
