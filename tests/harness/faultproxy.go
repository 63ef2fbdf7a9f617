package main

// The fault proxy: TLS reverse proxies on 127.0.0.1 in front of the scenario's kube-apiserver
// that a test tells, per request pattern, to stall, fail, answer HTML or reset the connection.
// Each named proxy has its own listener and rules, so tests sharing one scenario can each break
// the apiserver their own way. The proxy terminates TLS with a certificate from the scenario CA
// and forwards every request with its own headers (the bearer token, Impersonate-*) unchanged,
// so the apiserver authenticates and authorizes the client exactly as without the proxy.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// faultRule is one "VERB TARGET ACTION" line (tests/SCENARIOS.md, "Fault proxy").
type faultRule struct {
	Verb   string `json:"verb"`
	Target string `json:"target"`
	Action string `json:"action"`

	path  *regexp.Regexp
	code  int
	delay time.Duration
}

var verbs = map[string]bool{"*": true, "GET": true, "LIST": true, "WATCH": true, "CREATE": true,
	"POST": true, "PUT": true, "PATCH": true, "DELETE": true}

// parseFaultRule reads "VERB TARGET ACTION", e.g. "LIST pods stall", "GET /version pass",
// "CREATE pods status-500", "GET nodes/proxy reset", "* /apis/* html-200".
func parseFaultRule(line string) (faultRule, error) {
	f := strings.Fields(line)
	if len(f) != 3 {
		return faultRule{}, fmt.Errorf("fault rule %q: want VERB TARGET ACTION", line)
	}
	r := faultRule{Verb: strings.ToUpper(f[0]), Target: f[1], Action: f[2]}
	return r, r.compile()
}

func (r *faultRule) compile() error {
	if !verbs[r.Verb] {
		return fmt.Errorf("fault rule verb %q: want one of *, GET, LIST, WATCH, CREATE, POST, PUT, PATCH, DELETE", r.Verb)
	}
	if strings.HasPrefix(r.Target, "/") {
		parts := strings.Split(r.Target, "*")
		for i := range parts {
			parts[i] = regexp.QuoteMeta(parts[i])
		}
		r.path = regexp.MustCompile("^" + strings.Join(parts, ".*") + "$")
	} else if r.Target == "" || strings.ContainsAny(r.Target, "*?") {
		return fmt.Errorf("fault rule target %q: want a /path (with * wildcards) or a resource such as pods or nodes/proxy", r.Target)
	}
	switch a, arg, _ := strings.Cut(r.Action, "-"); {
	case r.Action == "stall" || r.Action == "reset" || r.Action == "pass":
	case a == "status" || a == "html":
		code, err := strconv.Atoi(arg)
		if err != nil || code < 200 || code > 599 {
			return fmt.Errorf("fault rule action %q: want %s-<200..599>", r.Action, a)
		}
		r.code = code
	case a == "delay":
		d, err := time.ParseDuration(arg)
		if err != nil || d <= 0 {
			return fmt.Errorf("fault rule action %q: want delay-<duration> such as delay-3s", r.Action)
		}
		r.delay = d
	default:
		return fmt.Errorf("fault rule action %q: want stall, reset, pass, status-<code>, html-<code> or delay-<duration>", r.Action)
	}
	return nil
}

// apiRequest is what a rule can match in a request.
type apiRequest struct {
	verb       string // LIST, WATCH, GET, CREATE, PUT, PATCH, DELETE (or the method of a non-resource path)
	resource   string // "pods", "nodes/proxy"; "" for non-resource paths
	collection bool
}

// classifyPath sorts a request the way the apiserver's RequestInfo does, as far as rules need.
func classifyPath(r *http.Request) apiRequest {
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	var rest []string
	switch {
	case len(segs) >= 3 && segs[0] == "api":
		rest = segs[2:]
	case len(segs) >= 4 && segs[0] == "apis":
		rest = segs[3:]
	}
	out := apiRequest{verb: r.Method}
	if len(rest) == 0 {
		return out
	}
	if rest[0] == "namespaces" && len(rest) >= 3 {
		rest = rest[2:]
	}
	out.resource = rest[0]
	out.collection = len(rest) == 1
	if len(rest) >= 3 {
		out.resource += "/" + rest[2]
	}
	switch r.Method {
	case http.MethodGet:
		switch {
		case out.collection && r.URL.Query().Get("watch") == "true":
			out.verb = "WATCH"
		case out.collection:
			out.verb = "LIST"
		default:
			out.verb = "GET"
		}
	case http.MethodPost:
		out.verb = "CREATE"
	}
	return out
}

func (r *faultRule) matches(req *http.Request, info apiRequest) bool {
	switch r.Verb {
	case "*":
	case "POST", "PUT", "PATCH", "DELETE":
		if req.Method != r.Verb {
			return false
		}
	case "GET":
		// GET names the method: a list, a watch and a get of one object are all GETs.
		if req.Method != http.MethodGet {
			return false
		}
	default: // LIST, WATCH, CREATE
		if info.verb != r.Verb {
			return false
		}
	}
	if r.path != nil {
		return r.path.MatchString(req.URL.Path)
	}
	return info.resource == r.Target || strings.HasPrefix(info.resource, r.Target+"/")
}

type faultListener struct {
	name  string
	url   string
	mu    sync.Mutex
	rules []faultRule
	srv   *http.Server
}

type faultProxies struct {
	upstream *url.URL
	proxy    *httputil.ReverseProxy
	cert     tls.Certificate
	mu       sync.Mutex
	byName   map[string]*faultListener
}

func newFaultProxies(upstream string, caPEM []byte, certFile, keyFile string) (*faultProxies, error) {
	u, err := url.Parse(upstream)
	if err != nil {
		return nil, err
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	transport := &http.Transport{
		Proxy:               nil,
		TLSClientConfig:     &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		MaxIdleConnsPerHost: 32,
		IdleConnTimeout:     30 * time.Second,
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			pr.Out.Host = u.Host
		},
		Transport:     transport,
		FlushInterval: -1, // watches and streamed bodies pass as they come
		ErrorLog:      log.New(nopWriter{}, "", 0),
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			// What a load balancer says when the apiserver behind it is gone.
			log.Printf("fault proxy: %s %s: upstream: %v", r.Method, r.URL.Path, err)
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	return &faultProxies{upstream: u, proxy: rp, cert: cert, byName: map[string]*faultListener{}}, nil
}

// set replaces the rules of the named proxy, starting its listener on first use, and returns
// its URL.
func (p *faultProxies) set(name string, rules []faultRule) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	l, ok := p.byName[name]
	if !ok {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", err
		}
		l = &faultListener{name: name, url: "https://" + ln.Addr().String()}
		l.srv = &http.Server{
			Handler:           http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { p.serve(l, w, r) }),
			ReadHeaderTimeout: 30 * time.Second,
			// HTTP/1.1 only: a reset needs the connection to itself, and one request per
			// connection at a time is what a hijack can cut.
			TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
			ErrorLog:     log.New(nopWriter{}, "", 0),
		}
		tlsCfg := &tls.Config{Certificates: []tls.Certificate{p.cert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}}
		go func() { _ = l.srv.Serve(tls.NewListener(ln, tlsCfg)) }()
		p.byName[name] = l
		log.Printf("fault proxy %q listening on %s", name, l.url)
	}
	l.mu.Lock()
	l.rules = rules
	l.mu.Unlock()
	log.Printf("fault proxy %q rules: %v", name, ruleStrings(rules))
	return l.url, nil
}

func ruleStrings(rules []faultRule) []string {
	out := make([]string, len(rules))
	for i, r := range rules {
		out[i] = r.Verb + " " + r.Target + " " + r.Action
	}
	return out
}

func (p *faultProxies) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.byName {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = l.srv.Shutdown(ctx)
		cancel()
		_ = l.srv.Close()
	}
}

var htmlPage = `<!DOCTYPE html>
<html><head><title>%[1]d %[2]s</title></head>
<body><center><h1>%[1]d %[2]s</h1></center>
<hr><center>ksc-harness fault proxy (a load balancer's error page)</center>
</body></html>
`

func (p *faultProxies) serve(l *faultListener, w http.ResponseWriter, r *http.Request) {
	info := classifyPath(r)
	l.mu.Lock()
	var rule *faultRule
	for i := range l.rules {
		if l.rules[i].matches(r, info) {
			rule = &l.rules[i]
			break
		}
	}
	l.mu.Unlock()
	if rule == nil || rule.Action == "pass" {
		p.proxy.ServeHTTP(w, r)
		return
	}
	log.Printf("fault proxy %q: %s %s (%s %s) -> %s", l.name, r.Method, r.URL.RequestURI(), info.verb, info.resource, rule.Action)
	switch {
	case rule.Action == "stall":
		// Headers never come; only the client giving up (or teardown) ends it.
		<-r.Context().Done()
	case rule.Action == "reset":
		hj, ok := w.(http.Hijacker)
		if !ok {
			panic(http.ErrAbortHandler)
		}
		conn, _, err := hj.Hijack()
		if err != nil {
			return
		}
		if tc, ok := conn.(*tls.Conn); ok {
			if raw, ok := tc.NetConn().(*net.TCPConn); ok {
				_ = raw.SetLinger(0) // close sends RST, not FIN
				_ = raw.Close()
				return
			}
		}
		_ = conn.Close()
	case rule.delay > 0:
		select {
		case <-time.After(rule.delay):
			p.proxy.ServeHTTP(w, r)
		case <-r.Context().Done():
		}
	case strings.HasPrefix(rule.Action, "html-"):
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(rule.code)
		_, _ = fmt.Fprintf(w, htmlPage, rule.code, http.StatusText(rule.code))
	default: // status-<code>
		reason := map[int]string{400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 409: "Conflict",
			429: "TooManyRequests", 500: "InternalError", 503: "ServiceUnavailable", 504: "Timeout"}[rule.code]
		body, _ := json.Marshal(map[string]any{"kind": "Status", "apiVersion": "v1", "metadata": map[string]any{},
			"status": "Failure", "message": fmt.Sprintf("ksc-harness fault proxy: injected %d for %s %s", rule.code, info.verb, r.URL.Path),
			"reason": reason, "code": rule.code})
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rule.code)
		_, _ = w.Write(append(body, '\n'))
	}
}
