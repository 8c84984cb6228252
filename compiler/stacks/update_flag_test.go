package stacks_test

// This package keeps no golden files, but importing internal/golden
// registers -update, so `go test ./... -update` also runs here.
import _ "github.com/bgc-dev/bgc/internal/golden"
