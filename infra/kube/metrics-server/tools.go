//go:build tools

// Package tools pins metrics-server, the resource metrics API (metrics.k8s.io) of `npm run cluster`
// that the HorizontalPodAutoscalers read.
package tools

import _ "sigs.k8s.io/metrics-server/cmd/metrics-server"
