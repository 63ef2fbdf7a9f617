package main

// Container images for real nodes, built locally: nothing can be pulled here. Each image is a
// hand-written OCI image layout (one uncompressed layer) packed as a tar that `ctr images import`
// accepts, cached under <cache>/images/<hash of the inputs>/ so that only a changed script,
// busybox or pause.c rebuilds it.

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

const (
	pauseImage = "registry.k8s.io/pause:3.10"
	// toolsImage is busybox plus the scripts scenarios run (SCENARIOS.md "Real nodes").
	toolsImage = "ksc.test/tools:1"
)

// pauseC is the whole pause container: it holds the sandbox's namespaces and exits on TERM/INT.
const pauseC = `#include <signal.h>
#include <unistd.h>
static void bye(int s) { (void)s; _exit(0); }
int main(void) {
	signal(SIGTERM, bye);
	signal(SIGINT, bye);
	for (;;) pause();
}
`

// The scripts of the tools image. busybox sh as PID 1 ignores SIGTERM, so every long wait is a
// background sleep the script waits for, with a TERM trap: pods stop at once. Debian's static
// busybox wget segfaults (exit 139, even outside a container), so connections are busybox nc:
// the proxy answers each connection by closing it, a client exits 0 once connected.
var toolScripts = map[string]string{
	// proxy DELAY [PORT]: listens on PORT (default 15000) DELAY seconds after start.
	"proxy": `#!/bin/sh
trap 'exit 0' TERM INT
echo "proxy: listening on ${2:-15000} in ${1:-0}s"
sleep "${1:-0}" & wait
echo "proxy: listening on ${2:-15000}"
nc -ll -p "${2:-15000}" -e /bin/true & wait
`,
	// app [PORT] [SECONDS]: needs the proxy at start (exit 1 when it does not answer), then
	// works SECONDS (forever when omitted) and exits 0.
	"app": `#!/bin/sh
trap 'exit 0' TERM INT
if ! nc 127.0.0.1 "${1:-15000}" </dev/null; then
  echo "app: cannot reach the proxy on 127.0.0.1:${1:-15000}"
  exit 1
fi
echo "app: connected to the proxy"
if [ -n "$2" ]; then sleep "$2" & wait; echo "app: done"; exit 0; fi
while :; do sleep 3600 & wait; done
`,
	// job SECONDS: works SECONDS and exits 0.
	"job": `#!/bin/sh
trap 'exit 0' TERM INT
echo "job: working ${1:-3}s"
sleep "${1:-3}" & wait
echo "job: done"
`,
	// forever: what a legacy sidecar does (never exits on its own).
	"forever": `#!/bin/sh
trap 'exit 0' TERM INT
while :; do sleep 3600 & wait; done
`,
}

type builtImages struct {
	Pause, Tools string // OCI archive paths
}

// buildImages returns the cached image archives, building them (under a lock) when missing.
func buildImages(cache string) (*builtImages, error) {
	busybox, err := os.ReadFile("/bin/busybox")
	if err != nil {
		return nil, fmt.Errorf("the tools image needs Debian's busybox-static (/bin/busybox): %w", err)
	}
	h := sha256.New()
	h.Write(busybox)
	h.Write([]byte(pauseC))
	for _, k := range sortedKeys(toolScripts) {
		h.Write([]byte(k + "\x00" + toolScripts[k] + "\x00"))
	}
	dir := filepath.Join(cache, "images", hex.EncodeToString(h.Sum(nil))[:16])
	out := &builtImages{Pause: filepath.Join(dir, "pause.tar"), Tools: filepath.Join(dir, "tools.tar")}
	done := func() bool {
		_, e1 := os.Stat(out.Pause)
		_, e2 := os.Stat(out.Tools)
		return e1 == nil && e2 == nil
	}
	if done() {
		return out, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	lock, err := os.OpenFile(filepath.Join(cache, "images", ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return nil, err
	}
	if done() {
		return out, nil
	}
	start := time.Now()
	pause, err := compilePause(dir)
	if err != nil {
		return nil, err
	}
	if err := writeImage(out.Pause+".tmp", pauseImage, []string{"/pause"}, []layerFile{{path: "pause", mode: 0o755, data: pause}}); err != nil {
		return nil, err
	}
	files := []layerFile{
		{path: "bin/busybox", mode: 0o755, data: busybox},
		{path: "tmp/", mode: 0o1777},
		{path: "etc/passwd", mode: 0o644, data: []byte("root:x:0:0:root:/:/bin/sh\n")},
	}
	applets, err := exec.Command("/bin/busybox", "--list").Output()
	if err != nil {
		return nil, fmt.Errorf("busybox --list: %w", err)
	}
	for _, a := range strings.Fields(string(applets)) {
		if a != "busybox" && !strings.Contains(a, "/") {
			files = append(files, layerFile{path: "bin/" + a, link: "busybox"})
		}
	}
	for _, name := range sortedKeys(toolScripts) {
		files = append(files, layerFile{path: "usr/local/bin/" + name, mode: 0o755, data: []byte(toolScripts[name])})
	}
	if err := writeImage(out.Tools+".tmp", toolsImage, []string{"/bin/sh"}, files); err != nil {
		return nil, err
	}
	for _, p := range []string{out.Pause, out.Tools} {
		if err := os.Rename(p+".tmp", p); err != nil {
			return nil, err
		}
	}
	fmt.Fprintf(os.Stderr, "ksc-harness: images built in %.1fs (%s)\n", time.Since(start).Seconds(), dir)
	return out, nil
}

func compilePause(dir string) ([]byte, error) {
	src := filepath.Join(dir, "pause.c")
	bin := filepath.Join(dir, "pause")
	if err := os.WriteFile(src, []byte(pauseC), 0o644); err != nil {
		return nil, err
	}
	if out, err := exec.Command("cc", "-static", "-Os", "-o", bin, src).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("cc -static pause.c (Debian gcc): %v: %s", err, out)
	}
	return os.ReadFile(bin)
}

type layerFile struct {
	path string // relative, a trailing / for a directory
	mode int64
	data []byte
	link string // symlink target
}

// writeImage writes an OCI image layout with one layer, as a tar, named ref.
func writeImage(path, ref string, entrypoint []string, files []layerFile) error {
	var layer bytes.Buffer
	tw := tar.NewWriter(&layer)
	mtime := time.Unix(0, 0)
	dirs := map[string]bool{}
	sort.Slice(files, func(i, j int) bool { return files[i].path < files[j].path })
	for _, f := range files {
		for d := filepath.Dir(strings.TrimSuffix(f.path, "/")); d != "." && !dirs[d]; d = filepath.Dir(d) {
			dirs[d] = true
		}
	}
	for _, d := range sortedKeys(dirs) {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: 0o755, ModTime: mtime}); err != nil {
			return err
		}
	}
	for _, f := range files {
		var hdr tar.Header
		switch {
		case strings.HasSuffix(f.path, "/"):
			hdr = tar.Header{Typeflag: tar.TypeDir, Name: f.path, Mode: f.mode, ModTime: mtime}
		case f.link != "":
			hdr = tar.Header{Typeflag: tar.TypeSymlink, Name: f.path, Linkname: f.link, Mode: 0o777, ModTime: mtime}
		default:
			hdr = tar.Header{Typeflag: tar.TypeReg, Name: f.path, Mode: f.mode, Size: int64(len(f.data)), ModTime: mtime}
		}
		if err := tw.WriteHeader(&hdr); err != nil {
			return err
		}
		if _, err := tw.Write(f.data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	layerDigest := digestOf(layer.Bytes())
	config, _ := json.Marshal(map[string]any{
		"architecture": "amd64", "os": "linux",
		"config": map[string]any{"Entrypoint": entrypoint, "Env": []string{"PATH=/usr/local/bin:/bin"}},
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{layerDigest}},
	})
	manifest, _ := json.Marshal(map[string]any{
		"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		"config": map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digestOf(config), "size": len(config)},
		"layers": []map[string]any{{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layerDigest, "size": layer.Len()}},
	})
	tag := ref[strings.LastIndex(ref, ":")+1:]
	index, _ := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"manifests": []map[string]any{{
			"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digestOf(manifest), "size": len(manifest),
			"platform":    map[string]string{"architecture": "amd64", "os": "linux"},
			"annotations": map[string]string{"io.containerd.image.name": ref, "org.opencontainers.image.ref.name": tag},
		}},
	})
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	out := tar.NewWriter(f)
	add := func(name string, data []byte) error {
		if err := out.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(data)), ModTime: mtime}); err != nil {
			return err
		}
		_, err := out.Write(data)
		return err
	}
	for _, e := range []struct {
		name string
		data []byte
	}{
		{"oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)},
		{"index.json", index},
		{blobPath(config), config},
		{blobPath(manifest), manifest},
		{blobPath(layer.Bytes()), layer.Bytes()},
	} {
		if err := add(e.name, e.data); err != nil {
			return err
		}
	}
	return out.Close()
}

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func blobPath(b []byte) string {
	return "blobs/sha256/" + strings.TrimPrefix(digestOf(b), "sha256:")
}

// buildComponentImage packs a control-plane binary alone into an image named as kubeadm's
// (registry.k8s.io/<component>:<version>: check-nodes reads the version from that tag), cached
// by the binary's hash. It returns the image name and the archive.
func buildComponentImage(cache, component, version, binary string) (string, string, error) {
	data, err := os.ReadFile(binary)
	if err != nil {
		return "", "", err
	}
	sum := sha256.Sum256(data)
	ref := "registry.k8s.io/" + component + ":" + version
	dir := filepath.Join(cache, "images", component+"-"+version+"-"+hex.EncodeToString(sum[:])[:12])
	archive := filepath.Join(dir, "image.tar")
	if _, err := os.Stat(archive); err == nil {
		return ref, archive, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	files := []layerFile{
		{path: "usr/local/bin/" + component, mode: 0o755, data: data},
		{path: "tmp/", mode: 0o1777},
	}
	tmp := fmt.Sprintf("%s.tmp.%d", archive, os.Getpid())
	if err := writeImage(tmp, ref, []string{"/usr/local/bin/" + component}, files); err != nil {
		return "", "", err
	}
	return ref, archive, os.Rename(tmp, archive)
}
