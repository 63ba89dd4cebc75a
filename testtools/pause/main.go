// The pause image's program: the sandbox container every pod of the test node starts first
// (containerd asks for registry.k8s.io/pause, which no registry can give here). It waits for
// SIGTERM or SIGINT and, as PID 1 of a pod that shares its process namespace, reaps the
// processes that end under it.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	for received := range signals {
		if received != syscall.SIGCHLD {
			return
		}
		for {
			var status syscall.WaitStatus
			pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
