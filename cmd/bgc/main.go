// Command bgc compiles one app.yaml into global blue/green delivery on AWS.
package main

import (
	"os"

	"github.com/bgc-dev/bgc/internal/cli"
)

func main() {
	os.Exit(cli.Run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
