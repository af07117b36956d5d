//go:build tools

// Package tools pins the upstream Cluster API managers built for tests and `npm start`; nothing here
// is product code.
package tools

import (
	_ "sigs.k8s.io/cluster-api/bootstrap/kubeadm"
	_ "sigs.k8s.io/cluster-api/controlplane/kubeadm"
	_ "sigs.k8s.io/cluster-api/core"
)
