// Command etcd is upstream etcd's own entry point, compiled from the Go module proxy at the version
// kubeadm recommends for the pinned Kubernetes release (no release binary is downloaded).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
