package apiserver

import "syscall"

// sysProcAttr puts each child in its own process group, so cleanup can
// signal the whole group, and asks the kernel to SIGKILL it if the test
// binary dies first (a panic or `go test -timeout`), so no apiserver or etcd
// outlives the test.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

func signalGroup(pid int, sig syscall.Signal) {
	// The group id is the pid because of Setpgid. Errors mean the group
	// is already gone, which is what we want.
	_ = syscall.Kill(-pid, sig)
}
