//go:build tools

// Package tools records the commands built by ensure-kube-binaries.sh so that
// `go mod tidy` keeps their dependencies in go.mod/go.sum. It is never
// compiled (build tag "tools").
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
)
