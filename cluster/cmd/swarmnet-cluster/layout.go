package main

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
)

// Where things live. The state directory holds everything of one running cluster and goes with
// `down`; the cache directory keeps what the first `up` built (binaries, images) for later ones.
var (
	stateRoot = envOr("SWARMNET_CLUSTER_STATE", "/var/lib/swarmnet-cluster")
	cacheRoot = envOr("SWARMNET_CLUSTER_CACHE", "/var/cache/swarmnet-cluster")
)

const (
	// underlay: the bridge in the root namespace holds .1 (the control plane); node n holds .10+n.
	underlayPrefix = "198.19.0."
	underlayBits   = 24
	serviceCIDR    = "10.96.0.0/16"
	apiServiceIP   = "10.96.0.1"
	podCIDR        = "10.244.0.0/16"
	clusterDomain  = "cluster.local"
	apiPort        = 6443
	etcdPort       = 2379
	// every kernel object and cgroup of a cluster starts with this, then a per-run suffix
	objectPrefix = "skc"
	// the pause image containerd starts each pod sandbox from, built locally (cmd/pause)
	pauseImage = "registry.k8s.io/pause:3.10.1"
)

// cluster is what `up` decided and `down` needs to undo, kept as cluster.json in the state root.
type cluster struct {
	Prefix string `json:"prefix"`
	Nodes  []node `json:"nodes"`
	// host directories `up` created for mount points, each before its parents (kept empty on the
	// host); `down` removes them in this order
	MountPoints []string `json:"mountPoints"`
}

type node struct {
	Name    string `json:"name"`
	Address string `json:"address"`
}

func newCluster(prefix string, nodes int) *cluster {
	c := &cluster{Prefix: prefix}
	for i := 1; i <= nodes; i++ {
		c.Nodes = append(c.Nodes, node{Name: fmt.Sprintf("node-%d", i), Address: fmt.Sprintf("%s%d", underlayPrefix, 10+i)})
	}
	return c
}

func (c *cluster) controlPlaneAddress() string { return underlayPrefix + "1" }
func (c *cluster) apiServerURL() string {
	return fmt.Sprintf("https://%s:%d", c.controlPlaneAddress(), apiPort)
}
func (c *cluster) bridge() string { return c.Prefix + "br" }

// cgroup is the path, below every hierarchy's root, under which the cluster's processes run.
func (c *cluster) cgroup() string { return "/" + c.Prefix }

func (c *cluster) save() error {
	data, _ := json.MarshalIndent(c, "", "  ")
	return os.WriteFile(filepath.Join(stateRoot, "cluster.json"), data, 0o644)
}

func loadCluster() (*cluster, error) {
	data, err := os.ReadFile(filepath.Join(stateRoot, "cluster.json"))
	if err != nil {
		return nil, err
	}
	var c cluster
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(stateRoot, "cluster.json"), err)
	}
	return &c, nil
}

func (c *cluster) netns(n node) string        { return c.Prefix + "-" + n.Name }
func (c *cluster) vethHost(i int) string      { return fmt.Sprintf("%sv%d", c.Prefix, i+1) }
func nodeDir(n node) string                   { return filepath.Join(stateRoot, "nodes", n.Name) }
func controlPlaneDir() string                 { return filepath.Join(stateRoot, "control-plane") }
func pkiDir() string                          { return filepath.Join(stateRoot, "pki") }
func pkiFile(name string) string              { return filepath.Join(pkiDir(), name) }
func (c *cluster) controlPlaneCgroup() string { return c.cgroup() + "/control-plane" }
func logDir() string                          { return filepath.Join(stateRoot, "logs") }
func adminKubeconfig() string                 { return filepath.Join(stateRoot, "admin.kubeconfig") }
func mountNamespaceFile(n node) string        { return filepath.Join(stateRoot, "ns", n.Name+".mnt") }
func utsNamespaceFile(n node) string          { return filepath.Join(stateRoot, "ns", n.Name+".uts") }
func (c *cluster) nodeCgroup(n node) string   { return c.cgroup() + "/" + n.Name }

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

func parseIP(s string) net.IP { return net.ParseIP(s) }
