// Command ssa-peer applies a multi-document YAML from stdin with Flux's apply engine
// (github.com/fluxcd/pkg/ssa, ResourceManager.ApplyAllStaged, as kustomize-controller runs it), once
// to create and once more as a no-op, and prints the timings as one JSON object. It is the peer of
// clusterops' engine in `npm run bench -- engine-peer`: an unthrottled client, concurrency 4.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/fluxcd/cli-utils/pkg/kstatus/polling"
	"github.com/fluxcd/pkg/ssa"
	"github.com/fluxcd/pkg/ssa/utils"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
)

// step is the timing and outcome of one ApplyAllStaged call.
type step struct {
	Ms      float64        `json:"ms"`
	Actions map[string]int `json:"actions"`
}

// result is what the program prints.
type result struct {
	Objects    int  `json:"objects"`
	FirstApply step `json:"firstApply"`
	NoopApply  step `json:"noopApply"`
}

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the cluster")
	concurrency := flag.Int("concurrency", 4, "ResourceManager concurrency")
	fieldManager := flag.String("field-manager", "ssa-peer", "field manager of the applies")
	flag.Parse()
	if err := run(*kubeconfig, *concurrency, *fieldManager); err != nil {
		fmt.Fprintf(os.Stderr, "ssa-peer: %v\n", err)
		os.Exit(1)
	}
}

func run(kubeconfig string, concurrency int, fieldManager string) error {
	objects, err := utils.ReadObjects(os.Stdin)
	if err != nil {
		return fmt.Errorf("reading objects: %w", err)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	// Unthrottled: the engine, not client-go's rate limiter, is what is measured.
	cfg.QPS, cfg.Burst = 10000, 10000
	manager, err := newManager(cfg, concurrency, fieldManager)
	if err != nil {
		return err
	}
	ctx := context.Background()
	out := result{Objects: len(objects)}
	if out.FirstApply, err = apply(ctx, manager, objects); err != nil {
		return fmt.Errorf("first apply: %w", err)
	}
	if out.NoopApply, err = apply(ctx, manager, objects); err != nil {
		return fmt.Errorf("no-op apply: %w", err)
	}
	return json.NewEncoder(os.Stdout).Encode(out)
}

// newManager builds a ResourceManager as kustomize-controller does: a controller-runtime client
// with a dynamic REST mapper and a kstatus poller for the waits between stages.
func newManager(cfg *rest.Config, concurrency int, fieldManager string) (*ssa.ResourceManager, error) {
	httpClient, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, err
	}
	mapper, err := apiutil.NewDynamicRESTMapper(cfg, httpClient)
	if err != nil {
		return nil, err
	}
	c, err := client.New(cfg, client.Options{HTTPClient: httpClient, Mapper: mapper})
	if err != nil {
		return nil, err
	}
	poller := polling.NewStatusPoller(c, mapper, polling.Options{})
	manager := ssa.NewResourceManager(c, poller, ssa.Owner{Field: fieldManager, Group: "ssa-peer.clusterops.io"})
	manager.SetConcurrency(concurrency)
	return manager, nil
}

// apply runs ApplyAllStaged on copies of the objects (the engine mutates what it is given).
func apply(ctx context.Context, manager *ssa.ResourceManager, objects []*unstructured.Unstructured) (step, error) {
	copies := make([]*unstructured.Unstructured, len(objects))
	for i, o := range objects {
		copies[i] = o.DeepCopy()
	}
	opts := ssa.DefaultApplyOptions()
	opts.WaitTimeout = 2 * time.Minute
	started := time.Now()
	cs, err := manager.ApplyAllStaged(ctx, copies, opts)
	ms := float64(time.Since(started).Microseconds()) / 1000
	if err != nil {
		return step{}, err
	}
	actions := map[string]int{}
	for _, e := range cs.Entries {
		actions[string(e.Action)]++
	}
	return step{Ms: ms, Actions: actions}, nil
}
