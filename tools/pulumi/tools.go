//go:build tools

// Package tools pins the upstream Pulumi CLI built for `clusterops preview`; nothing here is product code.
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
