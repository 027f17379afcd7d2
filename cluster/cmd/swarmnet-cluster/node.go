package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// nodeMounts are the directories each node keeps for itself: inside the node's mount namespace
// the node's own directory is bound over each, so two kubelets and two containerds (and two
// swarmnet agents) on one machine never share state.
var nodeMounts = []string{
	"/var/lib/kubelet",
	"/var/lib/containerd",
	"/var/lib/cni",
	"/etc/cni/net.d",
	"/var/log/pods",
	"/var/log/containers",
	"/var/lib/swarmnet",
}

// kernelTunables are the sysctls the kubelet insists on. They are global to the machine, so
// instead of letting the kubelet rewrite the host's values, each node sees files holding the
// values it expects, and the kubelet runs with protectKernelDefaults (it only checks).
var kernelTunables = map[string]string{
	"vm/overcommit_memory":      "1",
	"vm/panic_on_oom":           "0",
	"kernel/panic":              "10",
	"kernel/panic_on_oops":      "1",
	"kernel/keys/root_maxkeys":  "1000000",
	"kernel/keys/root_maxbytes": "25000000",
}

// network makes the underlay: a bridge in the root namespace holding the control plane's
// address, and one network namespace per node joined to it by a veth pair.
func (c *cluster) network() error {
	br := c.bridge()
	steps := [][]string{
		{"link", "add", br, "type", "bridge"},
		{"addr", "add", fmt.Sprintf("%s/%d", c.controlPlaneAddress(), underlayBits), "dev", br},
		{"link", "set", br, "up"},
	}
	for i, n := range c.Nodes {
		ns, veth := c.netns(n), c.vethHost(i)
		steps = append(steps,
			[]string{"netns", "add", ns},
			[]string{"link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns},
			[]string{"link", "set", veth, "master", br, "up"},
			[]string{"-n", ns, "link", "set", "lo", "up"},
			[]string{"-n", ns, "addr", "add", fmt.Sprintf("%s/%d", n.Address, underlayBits), "dev", "eth0"},
			[]string{"-n", ns, "link", "set", "eth0", "up"},
			[]string{"-n", ns, "route", "add", "default", "via", c.controlPlaneAddress()},
		)
	}
	for _, s := range steps {
		if err := run("ip", s...); err != nil {
			return err
		}
	}
	for _, n := range c.Nodes {
		// pods reach the control plane (the API server's ClusterIP leads there) from the node's
		// address: the root namespace has no route back to pod addresses and must get none
		rules := fmt.Sprintf(`table ip swarmnet-cluster {
  chain postrouting {
    type nat hook postrouting priority srcnat;
    ip saddr %s ip daddr != %s oifname "eth0" masquerade
  }
}
`, podCIDR, podCIDR)
		if err := runWithInput(rules, "ip", "netns", "exec", c.netns(n), "nft", "-f", "-"); err != nil {
			return err
		}
		if err := run("ip", "netns", "exec", c.netns(n), "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"); err != nil {
			return err
		}
	}
	return nil
}

// nodeNamespaces creates the node's mount and UTS namespaces, kept by bind mounts under the
// state directory, and sets up the node's own view of the file system inside them.
func (c *cluster) nodeNamespaces(n node) error {
	dir := nodeDir(n)
	for _, m := range nodeMounts {
		if err := os.MkdirAll(filepath.Join(dir, "root", m), 0o755); err != nil {
			return err
		}
		// every directory made here (the mount point and any missing parent, deepest first) goes at down
		var missing []string
		for dir := m; dir != "/"; dir = filepath.Dir(dir) {
			if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
				break
			}
			missing = append(missing, dir)
		}
		if err := os.MkdirAll(m, 0o755); err != nil {
			return err
		}
		c.MountPoints = append(c.MountPoints, missing...)
	}
	var script strings.Builder
	fmt.Fprintf(&script, "hostname %s\n", n.Name)
	// a /run of its own: the node's containerd socket and state, and its /run/netns, which is
	// shared so the agent's Bidirectional mount of it (and containerd's pod namespaces) work
	// the host's /run/netns (the node handles among them) goes first: containerd judges the
	// propagation of /run/netns by the first mount it finds there, which would be the host's
	script.WriteString("if mountpoint -q /run/netns; then umount -R -l /run/netns; fi\n")
	script.WriteString("mount -t tmpfs -o mode=755 tmpfs /run\nmkdir -p /run/netns\nmount --bind /run/netns /run/netns\nmount --make-shared /run/netns\n")
	for _, m := range nodeMounts {
		fmt.Fprintf(&script, "mount --bind %s %s\n", filepath.Join(dir, "root", m), m)
	}
	// a BPF file system of the node's own at /sys/fs/bpf, where systemd mounts one on a booted node: programs
	// and maps pinned there (the swarmnet agents' balancer) outlive the processes that made them, and go with the
	// node's mount namespace when the node goes down — never shared with the other node or the machine
	script.WriteString("mount -t bpf -o mode=700 bpf /sys/fs/bpf\n")
	for name, value := range kernelTunables {
		file := filepath.Join(dir, "sysctl", strings.ReplaceAll(name, "/", "."))
		if err := writeFile(file, value+"\n", 0o644); err != nil {
			return err
		}
		fmt.Fprintf(&script, "mount --bind %s /proc/sys/%s\n", file, name)
	}
	// unshare binds the new namespaces onto files that must exist
	for _, f := range []string{mountNamespaceFile(n), utsNamespaceFile(n)} {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			return err
		}
	}
	// as on a node booted by systemd, every mount is shared: hostPath volumes with HostToContainer
	// or Bidirectional propagation need that. The peer groups are new ones of this namespace, so
	// nothing propagates back to the machine's own mounts.
	script.WriteString("mount --make-rshared /\n")
	if err := run("unshare", "--mount="+mountNamespaceFile(n), "--uts="+utsNamespaceFile(n), "--propagation=private",
		"/bin/sh", "-ec", script.String()); err != nil {
		return fmt.Errorf("node %s: %w", n.Name, err)
	}
	return nil
}

// nsFiles holds the bind mounts that keep the nodes' namespaces; unshare needs it on a private mount.
func nsFiles() error {
	dir := filepath.Join(stateRoot, "ns")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := run("mount", "--bind", dir, dir); err != nil {
		return err
	}
	return run("mount", "--make-private", dir)
}

// startNode writes the node's configuration (containerd, kubelet, kube-proxy) and starts its containerd.
func (c *cluster) startNode(n node) error {
	dir, pki := nodeDir(n), pkiDir()
	conf := filepath.Join(dir, "config")
	containerd := fmt.Sprintf(`
version = 2
root = "/var/lib/containerd"
state = "/run/containerd"
oom_score = 0
[grpc]
  address = "/run/containerd/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = %q
  # root here lacks CAP_SYS_RESOURCE: a container may not get a lower OOM score than containerd
  restrict_oom_score_adj = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "/etc/cni/net.d"
`, pauseImage)
	kubelet := fmt.Sprintf(`
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# this machine mounts the cgroup v1 hierarchy; the kubelet refuses it unless told otherwise
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: %s
containerRuntimeEndpoint: unix:///run/containerd/containerd.sock
address: %s
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: %s
authorization:
  mode: Webhook
tlsCertFile: %s
tlsPrivateKeyFile: %s
clusterDomain: %s
clusterDNS: [%s]
failSwapOn: false
protectKernelDefaults: true
resolvConf: /etc/resolv.conf
evictionHard:
  memory.available: 100Mi
  nodefs.available: 1%%
  imagefs.available: 1%%
  nodefs.inodesFree: 1%%
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
`, c.nodeCgroup(n), n.Address, pkiFile("ca.crt"),
		pkiFile("kubelet-serving-"+n.Name+".crt"), pkiFile("kubelet-serving-"+n.Name+".key"), clusterDomain, clusterDNS)
	proxy := fmt.Sprintf(`
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: nftables
hostnameOverride: %s
clusterCIDR: %s
clientConnection:
  kubeconfig: %s
metricsBindAddress: 127.0.0.1:10249
healthzBindAddress: 127.0.0.1:10256
conntrack:
  # the conntrack table size and timeouts are the machine's, not a node's: leave them alone
  maxPerCore: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
`, n.Name, podCIDR, pkiFile("kube-proxy.kubeconfig"))
	for name, content := range map[string]string{"containerd.toml": containerd, "kubelet.yaml": kubelet, "kube-proxy.yaml": proxy} {
		if err := writeFile(filepath.Join(conf, name), content, 0o644); err != nil {
			return err
		}
	}
	if err := kubeconfig(filepath.Join(conf, "kubelet.kubeconfig"), c.apiServerURL(), pki, "kubelet-"+n.Name); err != nil {
		return err
	}
	ns := c.enter(n)
	system := c.nodeCgroup(n) + "/system"
	if err := c.daemon(n.Name+"-containerd", system, ns, "containerd", "--config", filepath.Join(conf, "containerd.toml")); err != nil {
		return err
	}
	return nil
}

// startKubelet starts the node's kubelet and kube-proxy once its containerd holds the images.
func (c *cluster) startKubelet(n node, localkube string) error {
	conf := filepath.Join(nodeDir(n), "config")
	ns := c.enter(n)
	system := c.nodeCgroup(n) + "/system"
	if err := c.daemon(n.Name+"-kubelet", system, ns, localkube, "kubelet",
		"--config="+filepath.Join(conf, "kubelet.yaml"),
		"--kubeconfig="+filepath.Join(conf, "kubelet.kubeconfig"),
		"--hostname-override="+n.Name,
		"--node-ip="+n.Address,
	); err != nil {
		return err
	}
	return c.daemon(n.Name+"-kube-proxy", system, ns, localkube, "kube-proxy", "--config="+filepath.Join(conf, "kube-proxy.yaml"))
}

// podNetwork gives a node the bridge CNI configuration for the pod range the controller manager
// assigned it, and routes to every other node's pod range through that node's address.
func (c *cluster) podNetwork(n node, ranges map[string]string) error {
	conflist := fmt.Sprintf(`{
  "cniVersion": "1.0.0",
  "name": "swarmnet-cluster",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "cni0",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": %q}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
`, ranges[n.Name])
	if err := writeFile(filepath.Join(nodeDir(n), "root", "/etc/cni/net.d", "10-swarmnet-cluster.conflist"), conflist, 0o644); err != nil {
		return err
	}
	for _, other := range c.Nodes {
		if other.Name != n.Name {
			if err := run("ip", "-n", c.netns(n), "route", "replace", ranges[other.Name], "via", other.Address); err != nil {
				return err
			}
		}
	}
	return nil
}
