// Command etcd starts the upstream etcd server; it exists so that tools/build.sh can build
// etcd from its published Go module without a checkout of the etcd repository.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
