// Command swarmnet-cluster brings up, describes and tears down a real Kubernetes on this machine:
// an upstream control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler) in the
// root network namespace and N nodes, each its own network, mount and UTS namespace holding a
// containerd, a kubelet and a kube-proxy, joined by a bridge on 198.19.0.0/24.
package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	keepInheritedFilesFromDaemons()
	var err error
	switch os.Args[1] {
	case "up":
		flags := flag.NewFlagSet("up", flag.ExitOnError)
		nodes := flags.Int("nodes", 2, "how many nodes (1 to 9)")
		source := flags.String("source", "", "the repository's cluster/ directory (to build from)")
		_ = flags.Parse(os.Args[2:])
		err = up(*nodes, *source)
	case "tools":
		flags := flag.NewFlagSet("tools", flag.ExitOnError)
		source := flags.String("source", "", "the repository's cluster/ directory (its go.mod pins kubectl, helm/go.mod pins helm)")
		report := flags.Bool("report", false, "print the tools' versions also when nothing was built")
		_ = flags.Parse(os.Args[2:])
		if *source == "" {
			usage()
		}
		err = buildTools(*source, *report)
	case "down":
		err = down()
	case "exec":
		err = execOnNode(os.Args[2:])
	case "kubeconfig":
		if _, statErr := os.Stat(adminKubeconfig()); statErr != nil {
			err = errors.New("no cluster is up: run ./swarmnet cluster up")
		} else {
			fmt.Println(adminKubeconfig())
		}
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "swarmnet cluster:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: swarmnet-cluster up [--nodes N] --source DIR | tools --source DIR [--report] | down | kubeconfig | exec NODE -- COMMAND...")
	os.Exit(2)
}

// step prints what is happening and, when it is done, how long it took.
func step(what string, do func() error) error {
	start := time.Now()
	fmt.Fprintf(os.Stderr, "==> %s\n", what)
	if err := do(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "    done in %.1f s\n", time.Since(start).Seconds())
	return nil
}

var requiredTools = []string{"ip", "nft", "nsenter", "unshare", "mount", "umount", "containerd", "containerd-shim-runc-v2", "runc", "ctr", "sysctl", "iptables"}

func preflight(nodes int) error {
	if os.Geteuid() != 0 {
		return errors.New("needs root: it creates network namespaces, mounts and cgroups (run it with sudo)")
	}
	if nodes < 1 || nodes > 9 {
		return fmt.Errorf("--nodes %d: give 1 to 9", nodes)
	}
	var missing []string
	for _, tool := range requiredTools {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if _, err := os.Stat(filepath.Join(toolsDir, "kubectl")); err != nil {
		missing = append(missing, "kubectl in "+toolsDir)
	}
	if _, err := os.Stat("/usr/lib/cni/bridge"); err != nil {
		missing = append(missing, "CNI plugins in /usr/lib/cni")
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing %s: run scripts/install-deps.sh --cluster as root", strings.Join(missing, ", "))
	}
	if !cgroupV1() {
		return errors.New("no cgroup v1 hierarchy is mounted under /sys/fs/cgroup: this local cluster runs its kubelets on cgroup v1")
	}
	return nil
}

// underlayFree fails when another interface of this machine already holds the underlay's range.
func underlayFree() error {
	if out, _ := output("ip", "-o", "-4", "addr", "show", "to", underlayPrefix+"0/24"); strings.TrimSpace(out) != "" {
		return fmt.Errorf("the underlay %s0/24 is already in use on this machine (interface %s): remove it or run ./swarmnet cluster down", underlayPrefix, strings.Fields(out)[1])
	}
	return nil
}

func up(nodes int, source string) (err error) {
	if err := preflight(nodes); err != nil {
		return err
	}
	lock, err := lockCache()
	if err != nil {
		return err
	}
	defer lock.Close()
	if existing, loadErr := loadCluster(); loadErr == nil {
		if alive("kube-apiserver") {
			return fmt.Errorf("a cluster (%d nodes) is already up: use it (./swarmnet cluster kubeconfig) or run ./swarmnet cluster down first", len(existing.Nodes))
		}
		fmt.Fprintln(os.Stderr, "==> removing what a previous cluster left behind")
		if err := teardown(existing); err != nil {
			return err
		}
	}
	sweepLeftovers()
	if err := underlayFree(); err != nil {
		return err
	}
	started := time.Now()
	bins, err := buildBinaries(source)
	if err != nil {
		return err
	}
	images, err := buildImages(source)
	if err != nil {
		return err
	}
	c := newCluster(objectPrefix+randomHex(2), nodes)
	for _, dir := range []string{pkiDir(), controlPlaneDir(), logDir(), filepath.Join(stateRoot, "pids")} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	if err := c.save(); err != nil {
		return err
	}
	// from here on anything that fails takes down what was made so far
	defer func() {
		if err != nil {
			fmt.Fprintf(os.Stderr, "swarmnet cluster: up failed, removing what it made (logs were in %s)\n", logDir())
			keepLogs()
			if downErr := teardown(c); downErr != nil {
				fmt.Fprintln(os.Stderr, "swarmnet cluster:", downErr)
			}
		}
	}()
	var api *apiClient
	ranges := map[string]string{}
	steps := []struct {
		what string
		do   func() error
	}{
		{"underlay bridge " + c.bridge() + " and node namespaces", c.namespaces},
		{"certificates", func() error {
			if err := c.certificates(); err != nil {
				return err
			}
			api, err = c.api()
			return err
		}},
		{"control plane: etcd, kube-apiserver", func() error { return c.startAPIServer(bins.localkube) }},
		{"containerd on every node, images imported", func() error {
			if err := c.eachNode(c.startNode); err != nil {
				return err
			}
			// each node's containerd unpacks on its own: the nodes import side by side
			return c.allNodes(func(n node) error { return c.importImages(n, images) })
		}},
		{"API server ready", func() error {
			return waitFor("kube-apiserver /readyz", 90*time.Second, func() (bool, error) {
				err := api.get("/readyz", nil)
				return err == nil, err
			}, c.daemonDied("etcd", "kube-apiserver"))
		}},
		{"control plane: kube-controller-manager, kube-scheduler", func() error { return c.startControllers(bins.localkube) }},
		{"kubelet and kube-proxy on every node, pod ranges routed", func() error {
			if err := c.eachNode(func(n node) error { return c.startKubelet(n, bins.localkube) }); err != nil {
				return err
			}
			if err := c.awaitNodes(api, "registered with a pod range", func(n node, object nodeObject) bool {
				ranges[n.Name] = object.Spec.PodCIDR
				return object.Spec.PodCIDR != ""
			}, "kube-controller-manager"); err != nil {
				return err
			}
			return c.eachNode(func(n node) error { return c.podNetwork(n, ranges) })
		}},
		{"all nodes Ready", func() error {
			return c.awaitNodes(api, "Ready", func(_ node, object nodeObject) bool { return object.ready() })
		}},
		{"cluster DNS: CoreDNS behind kube-system/kube-dns (" + clusterDNS + ")", func() error { return c.clusterDNSService(api) }},
	}
	for _, s := range steps {
		if err = step(s.what, s.do); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "cluster up: %d nodes Ready in %.1f s\n  export KUBECONFIG=%s\n", nodes, time.Since(started).Seconds(), adminKubeconfig())
	return nil
}

func (c *cluster) eachNode(do func(node) error) error {
	for _, n := range c.Nodes {
		if err := do(n); err != nil {
			return err
		}
	}
	return nil
}

// allNodes runs do for every node at once and returns the first error.
func (c *cluster) allNodes(do func(node) error) error {
	errs := make(chan error, len(c.Nodes))
	for _, n := range c.Nodes {
		go func(n node) { errs <- do(n) }(n)
	}
	var first error
	for range c.Nodes {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// awaitNodes waits until every node's object satisfies done, failing early when the node's
// kubelet, containerd or kube-proxy (or one of the other named daemons) has exited.
func (c *cluster) awaitNodes(api *apiClient, what string, done func(node, nodeObject) bool, daemons ...string) error {
	return c.eachNode(func(n node) error {
		return waitFor("node "+n.Name+" "+what, 90*time.Second, func() (bool, error) {
			var object nodeObject
			if err := api.get("/api/v1/nodes/"+n.Name, &object); err != nil {
				return false, err
			}
			return done(n, object), nil
		}, c.daemonDied(append(daemons, n.Name+"-kubelet", n.Name+"-containerd", n.Name+"-kube-proxy")...))
	})
}

// namespaces makes the underlay and every node's network, mount and UTS namespaces.
func (c *cluster) namespaces() error {
	if err := c.network(); err != nil {
		return err
	}
	if err := nsFiles(); err != nil {
		return err
	}
	if err := c.eachNode(c.nodeNamespaces); err != nil {
		return err
	}
	return c.save()
}

// daemonDied returns a check that fails as soon as one of the named daemons has exited.
func (c *cluster) daemonDied(names ...string) func() error {
	return func() error {
		for _, name := range names {
			if !alive(name) {
				return fmt.Errorf("%s exited; its log: %s", name, filepath.Join(logDir(), name+".log"))
			}
		}
		return nil
	}
}

// keepLogs copies a failed cluster's logs next to the cache, where `down` leaves them.
func keepLogs() {
	target := filepath.Join(cacheRoot, "last-failed-logs")
	_ = os.RemoveAll(target)
	_ = run("cp", "-r", logDir(), target)
	fmt.Fprintf(os.Stderr, "swarmnet cluster: logs of the failed start kept in %s\n", target)
}

// execOnNode runs a command inside a node's network, mount and UTS namespaces: what a shell on
// that machine would see (its links, nft tables, xfrm state, /run/netns).
func execOnNode(args []string) error {
	if len(args) < 3 || args[1] != "--" {
		return errors.New("usage: ./swarmnet cluster exec NODE -- COMMAND...")
	}
	c, err := loadCluster()
	if err != nil {
		return errors.New("no cluster is up: run ./swarmnet cluster up")
	}
	for _, n := range c.Nodes {
		if n.Name == args[0] {
			nsenter, err := exec.LookPath("nsenter")
			if err != nil {
				return err
			}
			return syscall.Exec(nsenter, append(append([]string{"nsenter"}, c.enter(n)...), args[2:]...), os.Environ())
		}
	}
	var names []string
	for _, n := range c.Nodes {
		names = append(names, n.Name)
	}
	return fmt.Errorf("no node %q: the nodes are %s", args[0], strings.Join(names, ", "))
}

func down() error {
	if os.Geteuid() != 0 {
		return errors.New("needs root: it removes network namespaces, mounts and cgroups (run it with sudo)")
	}
	c, err := loadCluster()
	if err != nil {
		sweepLeftovers()
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return teardown(&cluster{})
	}
	return teardown(c)
}

// teardown removes everything of c: processes (with their containers), cgroups, mounts, network
// namespaces, the bridge, the mount points it made on the host and the state directory.
func teardown(c *cluster) error {
	var problems []string
	note := func(err error) {
		if err != nil {
			problems = append(problems, err.Error())
		}
	}
	if c.Prefix != "" {
		note(killCgroup(c.cgroup()))
	}
	for _, n := range c.Nodes {
		for _, f := range []string{mountNamespaceFile(n), utsNamespaceFile(n)} {
			if _, err := os.Stat(f); err == nil {
				_ = syscall.Unmount(f, syscall.MNT_DETACH)
			}
		}
		if c.Prefix != "" {
			if _, err := os.Stat("/run/netns/" + c.netns(n)); err == nil {
				note(run("ip", "netns", "del", c.netns(n)))
			}
		}
	}
	_ = syscall.Unmount(filepath.Join(stateRoot, "ns"), syscall.MNT_DETACH)
	if c.Prefix != "" {
		if _, err := os.Stat("/sys/class/net/" + c.bridge()); err == nil {
			note(run("ip", "link", "del", c.bridge()))
		}
	}
	for _, m := range c.MountPoints {
		// only ever the empty directory `up` made; a directory someone filled since stays
		_ = os.Remove(m)
	}
	note(os.RemoveAll(stateRoot))
	if len(problems) > 0 {
		return fmt.Errorf("down left something behind: %s", strings.Join(problems, "; "))
	}
	return nil
}

// sweepLeftovers removes objects with the cluster prefix that no recorded cluster owns (a state
// directory deleted by hand, a machine reset half-way): network namespaces, links and cgroups.
func sweepLeftovers() {
	out, _ := output("ip", "netns", "list")
	for _, line := range strings.Split(out, "\n") {
		if fields := strings.Fields(line); len(fields) > 0 && strings.HasPrefix(fields[0], objectPrefix) {
			_ = run("ip", "netns", "del", fields[0])
		}
	}
	links, _ := filepath.Glob("/sys/class/net/" + objectPrefix + "*")
	for _, l := range links {
		_ = run("ip", "link", "del", filepath.Base(l))
	}
	// one cgroup stands in every hierarchy; killCgroup goes through them all, so once per name
	groups := map[string]bool{}
	for _, h := range hierarchies() {
		found, _ := filepath.Glob(filepath.Join(h, objectPrefix+"*"))
		for _, g := range found {
			groups["/"+filepath.Base(g)] = true
		}
	}
	for g := range groups {
		_ = killCgroup(g)
	}
}

// lockCache holds an exclusive lock for the duration of `up`, so a second `up` says so.
func lockCache() (*os.File, error) {
	if err := os.MkdirAll(cacheRoot, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(cacheRoot, "up.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, errors.New("another `swarmnet cluster up` is running on this machine: wait for it, or run ./swarmnet cluster down")
	}
	return f, nil
}

func randomHex(bytes int) string {
	b := make([]byte, bytes)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
