package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// run runs a command to completion and returns an error carrying its output.
func run(name string, args ...string) error {
	_, err := output(name, args...)
	return err
}

func output(name string, args ...string) (string, error) {
	return outputWithInput("", name, args...)
}

func runWithInput(input, name string, args ...string) error {
	_, err := outputWithInput(input, name, args...)
	return err
}

// outputWithInput runs a command with input on its stdin and returns what it printed.
func outputWithInput(input, name string, args ...string) (string, error) {
	var out bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdin = strings.NewReader(input)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return out.String(), nil
}

// enter is the nsenter arguments that put a command inside a node's network, mount and UTS namespaces.
func (c *cluster) enter(n node) []string {
	return []string{"--net=/run/netns/" + c.netns(n), "--mount=" + mountNamespaceFile(n), "--uts=" + utsNamespaceFile(n), "--"}
}

// hierarchies are the cgroup hierarchies this machine mounts: the v1 ones, and cgroup2's
// "unified" beside them, where runc also places containers on such a hybrid machine.
func hierarchies() []string {
	var found []string
	entries, _ := os.ReadDir("/sys/fs/cgroup")
	for _, e := range entries {
		dir := filepath.Join("/sys/fs/cgroup", e.Name())
		if _, err := os.Stat(filepath.Join(dir, "cgroup.procs")); err == nil {
			found = append(found, dir)
		}
	}
	return found
}

// cgroupV1 reports whether the v1 memory hierarchy is mounted, which the kubelets here run on.
func cgroupV1() bool {
	_, err := os.Stat("/sys/fs/cgroup/memory/cgroup.procs")
	return err == nil
}

// makeCgroup creates path (e.g. /skc1a2b/node-1) in every hierarchy; a cpuset cgroup starts
// with no CPUs or memory nodes, so those are copied down from the parent.
func makeCgroup(path string) error {
	for _, h := range hierarchies() {
		dir := h
		for _, part := range strings.Split(strings.Trim(path, "/"), "/") {
			dir = filepath.Join(dir, part)
			if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
				return fmt.Errorf("cgroup %s: %w", dir, err)
			}
			if filepath.Base(h) == "cpuset" {
				for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
					if own, _ := os.ReadFile(filepath.Join(dir, f)); len(bytes.TrimSpace(own)) == 0 {
						parent, _ := os.ReadFile(filepath.Join(filepath.Dir(dir), f))
						if err := os.WriteFile(filepath.Join(dir, f), parent, 0o644); err != nil {
							return fmt.Errorf("cgroup %s/%s: %w", dir, f, err)
						}
					}
				}
			}
		}
	}
	return nil
}

// daemon starts a long-running process in the given cgroup (in every hierarchy, before it runs
// anything) and, when namespaces are given, inside them. It outlives this command; its output
// goes to logs/<name>.log.
func (c *cluster) daemon(name, cgroup string, namespaces []string, command ...string) error {
	if err := makeCgroup(cgroup); err != nil {
		return err
	}
	var procs []string
	for _, h := range hierarchies() {
		procs = append(procs, filepath.Join(h, cgroup, "cgroup.procs"))
	}
	log, err := os.OpenFile(filepath.Join(logDir(), name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer log.Close()
	argv := []string{"-c", `for f in $SWARMNET_CGROUP_PROCS; do echo $$ > "$f"; done; exec "$@"`, name}
	if len(namespaces) > 0 {
		argv = append(argv, "nsenter")
		argv = append(argv, namespaces...)
	}
	argv = append(argv, command...)
	cmd := exec.Command("/bin/sh", argv...)
	cmd.Env = append(os.Environ(), "SWARMNET_CGROUP_PROCS="+strings.Join(procs, " "))
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", name, err)
	}
	_ = os.WriteFile(filepath.Join(stateRoot, "pids", name), []byte(strconv.Itoa(cmd.Process.Pid)), 0o644)
	go cmd.Wait() // reap it if it dies while `up` still runs
	return nil
}

// alive reports whether the process recorded for a daemon still runs.
func alive(name string) bool {
	data, err := os.ReadFile(filepath.Join(stateRoot, "pids", name))
	if err != nil {
		return false
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	if pid <= 0 || syscall.Kill(pid, 0) != nil {
		return false
	}
	status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	return !bytes.Contains(status, []byte(") Z "))
}

// killCgroup ends every process under path (frozen first, so nothing forks away while the
// kill goes round) and removes the cgroups, deepest first, in every hierarchy.
func killCgroup(path string) error {
	freezer := filepath.Join("/sys/fs/cgroup/freezer", path)
	if _, err := os.Stat(freezer); err == nil {
		_ = os.WriteFile(filepath.Join(freezer, "freezer.state"), []byte("FROZEN"), 0o644)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		pids := cgroupPids(path)
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		if _, err := os.Stat(freezer); err == nil {
			_ = os.WriteFile(filepath.Join(freezer, "freezer.state"), []byte("THAWED"), 0o644)
		}
		if len(pids) == 0 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("processes under cgroup %s did not end: %v", path, pids)
		}
		time.Sleep(100 * time.Millisecond)
	}
	var failed []string
	for _, h := range hierarchies() {
		root := filepath.Join(h, path)
		var dirs []string
		_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		for i := len(dirs) - 1; i >= 0; i-- {
			if err := os.Remove(dirs[i]); err != nil && !errors.Is(err, os.ErrNotExist) {
				failed = append(failed, dirs[i])
			}
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("could not remove cgroups %v", failed)
	}
	return nil
}

// cgroupPids lists the processes in path or below it, in any hierarchy.
func cgroupPids(path string) []int {
	seen := map[int]bool{}
	var pids []int
	for _, h := range hierarchies() {
		_ = filepath.WalkDir(filepath.Join(h, path), func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || d.Name() != "cgroup.procs" {
				return nil
			}
			data, _ := os.ReadFile(p)
			for _, field := range strings.Fields(string(data)) {
				if pid, err := strconv.Atoi(field); err == nil && !seen[pid] {
					seen[pid] = true
					pids = append(pids, pid)
				}
			}
			return nil
		})
	}
	return pids
}

// keepInheritedFilesFromDaemons marks every descriptor this process inherited above stderr close-on-exec.
// Go opens its own files so, but not those it was started with, and the daemons of `up` outlive it:
// a lock its caller held with flock(1) (a descriptor of the shell that ran `up`) stayed held by etcd,
// kube-apiserver and every containerd until `down`, and a pipe kept open kept its reader waiting.
func keepInheritedFilesFromDaemons() {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return
	}
	for _, e := range entries {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			syscall.CloseOnExec(fd)
		}
	}
}
