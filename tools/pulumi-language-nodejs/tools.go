//go:build tools

// Package tools pins the Pulumi Node.js language host. Its own module
// (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3) is not served by the module
// proxy here; the last release that shipped it inside github.com/pulumi/pulumi/sdk/v3 is v3.68.0,
// so it lives in a wrapper module of its own (the CLI's module needs a much newer sdk/v3).
package tools

import _ "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs"
