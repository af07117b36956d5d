//go:build tools

// Package tools pins the upstream Kubernetes commands built for tests; nothing here is product code.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
)
