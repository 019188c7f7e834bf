// Command nodeagent is a test double for the kubelet: it registers a Node at
// 127.0.0.1 and runs the pods bound to it as local processes, serving exec,
// attach and logs through the kubelet's own streaming server package. It is
// for the local test cluster only and is never shipped.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
)

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig with node rights (admin is fine for tests)")
	name := flag.String("node-name", "eshell-node", "name of the Node to register")
	port := flag.Int("port", 10250, "port for the streaming server on 127.0.0.1")
	root := flag.String("root-dir", "", "state directory (volumes, logs, image flavours)")
	klog.InitFlags(nil)
	flag.Parse()
	if err := run(*kubeconfig, *name, int32(*port), *root); err != nil {
		fmt.Fprintln(os.Stderr, "nodeagent:", err)
		os.Exit(1)
	}
}

func run(kubeconfig, name string, port int32, root string) error {
	if root == "" {
		return fmt.Errorf("--root-dir is required")
	}
	// Flavour PATHs live under root and containers start in "/".
	root, err := filepath.Abs(root)
	if err != nil {
		return err
	}
	cfg, err2 := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err2 != nil {
		return fmt.Errorf("loading kubeconfig: %w", err2)
	}
	cfg.QPS, cfg.Burst = 200, 400
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	a, err := newAgent(client, name, port, root)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if _, err := a.serve(ctx); err != nil {
		return err
	}
	if err := a.register(ctx); err != nil {
		return err
	}
	a.watchPods(ctx)
	klog.InfoS("node agent ready", "node", name, "port", port)
	<-ctx.Done()
	a.stopAll()
	return nil
}
