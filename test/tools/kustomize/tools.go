//go:build tools

// Package tools pins kustomize so that `go build sigs.k8s.io/kustomize/kustomize/v5` from this module
// builds exactly the version in go.mod (and go.sum), fetched through the Go module proxy.
package tools

import _ "sigs.k8s.io/kustomize/kustomize/v5"
