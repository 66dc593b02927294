//go:build tools

// Package tools pins Rancher's local-path-provisioner, the default StorageClass of `npm run cluster`.
package tools

import _ "github.com/rancher/local-path-provisioner"
