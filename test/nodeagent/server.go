package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	remotecommandconsts "k8s.io/apimachinery/pkg/util/remotecommand"
	"k8s.io/client-go/util/cert"
	"k8s.io/cri-streaming/pkg/streaming/remotecommand"
)

// The kubelet's streaming endpoints, as the API server calls them:
// /exec|/attach|/containerLogs/{namespace}/{pod}[/{uid}]/{container}.
func parsePath(prefix, path string) (podKey, container string, ok bool) {
	parts := strings.Split(strings.TrimPrefix(path, prefix), "/")
	switch len(parts) {
	case 3:
		return parts[0] + "/" + parts[1], parts[2], true
	case 4:
		return parts[0] + "/" + parts[1], parts[3], true
	}
	return "", "", false
}

type streamer struct{ a *Agent }

func (s streamer) ExecInContainer(ctx context.Context, name, _ string, container string, cmd []string, in io.Reader, out, errw io.WriteCloser, tty bool, resize <-chan remotecommand.TerminalSize, _ time.Duration) error {
	p, err := s.a.lookup(name, container)
	if err != nil {
		return err
	}
	return p.exec(ctx, cmd, in, out, errw, tty, resize)
}

func (s streamer) AttachContainer(ctx context.Context, name, _ string, container string, in io.Reader, out, errw io.WriteCloser, tty bool, resize <-chan remotecommand.TerminalSize) error {
	p, err := s.a.lookup(name, container)
	if err != nil {
		return err
	}
	if tty && p.pty != nil {
		stop := make(chan struct{})
		defer close(stop)
		go forwardResize(p.pty, resize, stop)
	}
	return p.attach(ctx, in, out, errw)
}

const streamIdleTimeout = 4 * time.Hour

func (a *Agent) handler() http.Handler {
	s := streamer{a}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	// stream parses what exec and attach share: the path and the streams asked for.
	stream := func(prefix string, serve func(w http.ResponseWriter, req *http.Request, key, ctr string, opts *remotecommand.Options)) http.HandlerFunc {
		return func(w http.ResponseWriter, req *http.Request) {
			key, ctr, ok := parsePath(prefix, req.URL.Path)
			if !ok {
				http.NotFound(w, req)
				return
			}
			opts, err := remotecommand.NewOptions(req)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			serve(w, req, key, ctr, opts)
		}
	}
	mux.HandleFunc("/exec/", stream("/exec/", func(w http.ResponseWriter, req *http.Request, key, ctr string, opts *remotecommand.Options) {
		remotecommand.ServeExec(w, req, s, key, "", ctr, req.URL.Query()["command"], opts,
			streamIdleTimeout, remotecommandconsts.DefaultStreamCreationTimeout, remotecommandconsts.SupportedStreamingProtocols)
	}))
	mux.HandleFunc("/attach/", stream("/attach/", func(w http.ResponseWriter, req *http.Request, key, ctr string, opts *remotecommand.Options) {
		remotecommand.ServeAttach(w, req, s, key, "", ctr, opts,
			streamIdleTimeout, remotecommandconsts.DefaultStreamCreationTimeout, remotecommandconsts.SupportedStreamingProtocols)
	}))
	mux.HandleFunc("/containerLogs/", func(w http.ResponseWriter, req *http.Request) {
		key, ctr, ok := parsePath("/containerLogs/", req.URL.Path)
		if !ok {
			http.NotFound(w, req)
			return
		}
		a.serveLogs(w, req, key, ctr)
	})
	return mux
}

func (a *Agent) serveLogs(w http.ResponseWriter, req *http.Request, key, container string) {
	a.mu.Lock()
	r, ok := a.pods[key]
	a.mu.Unlock()
	if !ok {
		http.Error(w, fmt.Sprintf("pod %q not found on this node", key), http.StatusNotFound)
		return
	}
	r.mu.Lock()
	c, ok := r.ctrs[container]
	var p *proc
	if ok {
		p = c.proc
	}
	r.mu.Unlock()
	if p == nil || p.l == nil {
		http.Error(w, fmt.Sprintf("container %q has not started", container), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	if req.URL.Query().Get("follow") == "true" && p.running() {
		flush := func() {
			if f, ok := w.(http.Flusher); ok {
				f.Flush()
			}
		}
		fw := flushWriter{w, flush}
		_ = p.attach(req.Context(), nil, fw, fw)
		return
	}
	f, err := os.Open(p.l.logPath)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer f.Close()
	_, _ = io.Copy(w, f)
}

type flushWriter struct {
	w     io.Writer
	flush func()
}

func (f flushWriter) Write(b []byte) (int, error) { n, err := f.w.Write(b); f.flush(); return n, err }

// serve listens on 127.0.0.1 with a self-signed certificate; the API server
// accepts it because the cluster sets no --kubelet-certificate-authority.
func (a *Agent) serve(ctx context.Context) (net.Listener, error) {
	certPEM, keyPEM, err := cert.GenerateSelfSignedCertKey(nodeIP, []net.IP{net.ParseIP(nodeIP)}, []string{"localhost", a.node.name})
	if err != nil {
		return nil, err
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", fmt.Sprintf("%s:%d", nodeIP, a.node.port))
	if err != nil {
		return nil, fmt.Errorf("the node agent cannot listen on %s:%d (is another agent running? pick a free port with --port): %w", nodeIP, a.node.port, err)
	}
	srv := &http.Server{Handler: a.handler(), TLSConfig: &tls.Config{Certificates: []tls.Certificate{pair}}, ReadHeaderTimeout: 30 * time.Second}
	go func() { _ = srv.ServeTLS(ln, "", "") }()
	go func() { <-ctx.Done(); _ = srv.Close() }()
	return ln, nil
}
