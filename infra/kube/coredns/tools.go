//go:build tools

// Package tools pins CoreDNS, the cluster DNS of `npm run cluster`.
package tools

import _ "github.com/coredns/coredns"
