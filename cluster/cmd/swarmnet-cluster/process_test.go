package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A descriptor inherited without close-on-exec (as flock(1) passes its lock) reaches no child once marked.
func TestInheritedDescriptorsDoNotReachTheDaemons(t *testing.T) {
	path := filepath.Join(t.TempDir(), "held")
	fd, err := syscall.Open(path, syscall.O_CREAT|syscall.O_RDWR, 0o600) // no O_CLOEXEC: as a caller's lock arrives
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	if !childHolds(t, path) {
		t.Fatalf("the test is void: a child does not see descriptor %d before it is marked", fd)
	}

	keepInheritedFilesFromDaemons()

	if childHolds(t, path) {
		t.Fatalf("a child still holds %s through descriptor %d", path, fd)
	}
	// stdin, stdout and stderr are the daemons' own (their log): left as they are
	for std := 0; std <= 2; std++ {
		flags, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(std), syscall.F_GETFD, 0)
		if errno == 0 && flags&syscall.FD_CLOEXEC != 0 {
			t.Fatalf("descriptor %d was marked close-on-exec", std)
		}
	}
}

// childHolds reports whether a child started now has a descriptor open on path.
func childHolds(t *testing.T, path string) bool {
	t.Helper()
	out, err := exec.Command("/bin/sh", "-c", `for f in /proc/$$/fd/*; do readlink "$f"; done; true`).Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if line == path {
			return true
		}
	}
	return false
}
