//go:build tools

// Package tools pins skaffold so `go mod tidy` keeps its dependencies.
package tools

import _ "github.com/GoogleContainerTools/skaffold/v2/cmd/skaffold"
