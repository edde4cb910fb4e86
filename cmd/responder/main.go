// Command responder answers Falco events (posted by falcosidekick's webhook
// output) by deleting the attacked pod. All logic is in internal/responder;
// this file only reads flags and files and runs the TLS server.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"k3s-onprem/internal/responder"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	if err := run(log, os.Args[1:]); err != nil {
		log.Error("responder stopped", "error", err)
		os.Exit(1)
	}
}

type flags struct {
	config, tlsCert, tlsKey, secretFile, kubeconfig, listen string
}

func parseFlags(args []string) (flags, error) {
	var f flags
	fs := flag.NewFlagSet("responder", flag.ContinueOnError)
	fs.StringVar(&f.config, "config", "", "rule-to-action configuration (YAML); the embedded default when empty")
	fs.StringVar(&f.tlsCert, "tls-cert", "", "TLS certificate (PEM) served to falcosidekick (required)")
	fs.StringVar(&f.tlsKey, "tls-key", "", "TLS private key (PEM) (required)")
	fs.StringVar(&f.secretFile, "secret-file", "", "file holding the shared bearer secret (required; mode 0600)")
	fs.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig of the responder's ServiceAccount (required)")
	fs.StringVar(&f.listen, "listen", fmt.Sprintf(":%d", responder.DefaultPort), "address to listen on")
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	var missing []string
	for name, v := range map[string]string{"-tls-cert": f.tlsCert, "-tls-key": f.tlsKey, "-secret-file": f.secretFile, "-kubeconfig": f.kubeconfig} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return f, fmt.Errorf("missing required flags: %s", strings.Join(missing, ", "))
	}
	return f, nil
}

func run(log *slog.Logger, args []string) error {
	f, err := parseFlags(args)
	if err != nil {
		return err
	}
	cfg := responder.DefaultConfig()
	if f.config != "" {
		if cfg, err = responder.LoadConfig(f.config); err != nil {
			return err
		}
	}
	secret, err := readSecret(f.secretFile)
	if err != nil {
		return err
	}
	rc, err := clientcmd.BuildConfigFromFlags("", f.kubeconfig)
	if err != nil {
		return fmt.Errorf("kubeconfig %s: %w", f.kubeconfig, err)
	}
	rc.UserAgent = "k3s-onprem-responder"
	rc.QPS, rc.Burst = responder.ClientRateLimits(cfg)
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return fmt.Errorf("kubernetes client: %w", err)
	}
	cert, err := tls.LoadX509KeyPair(f.tlsCert, f.tlsKey)
	if err != nil {
		return fmt.Errorf("TLS key pair: %w", err)
	}
	host, _ := os.Hostname()
	srv, err := responder.New(responder.Options{Config: cfg, Client: client, Secret: secret, Logger: log, Instance: host})
	if err != nil {
		return err
	}
	defer srv.Close()
	hs := srv.HTTPServer(&tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}, log)
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- hs.ServeTLS(srv.Listener(ln), "", "") }()
	log.Info("responder listening", "address", f.listen, "responses", len(cfg.Responses), "protected_namespaces", cfg.ProtectedNamespaces(),
		"max_connections", cfg.Connections.Max, "max_connections_per_source", cfg.Connections.PerSource)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// readSecret reads the shared secret and refuses a file others can read:
// the secret is what lets a request delete pods.
func readSecret(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("secret file: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("secret file %s has mode %04o; it must not be readable by group or others", path, st.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("secret file: %w", err)
	}
	return []byte(strings.TrimSpace(string(b))), nil
}
