package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
)

// certificates issues every certificate and kubeconfig of the cluster.
func (c *cluster) certificates() error {
	dir := pkiDir()
	ca, err := newAuthority(dir)
	if err != nil {
		return err
	}
	cp := parseIP(c.controlPlaneAddress())
	if err := ca.server("kube-apiserver", "kube-apiserver",
		[]string{"kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc." + clusterDomain, "localhost"},
		[]net.IP{cp, parseIP(apiServiceIP), parseIP("127.0.0.1")}); err != nil {
		return err
	}
	if err := serviceAccountKeys(dir); err != nil {
		return err
	}
	clients := map[string]identity{
		"admin":                   {user: "swarmnet-cluster-admin", groups: []string{"system:masters"}},
		"kube-controller-manager": {user: "system:kube-controller-manager"},
		"kube-scheduler":          {user: "system:kube-scheduler"},
		"kube-proxy":              {user: "system:kube-proxy"},
		// the API server's identity towards kubelets (exec, logs, port-forward)
		"apiserver-kubelet-client": {user: "kube-apiserver-kubelet-client", groups: []string{"system:masters"}},
	}
	for _, n := range c.Nodes {
		// the Node authorizer and NodeRestriction admit a kubelet by this exact name and group
		clients["kubelet-"+n.Name] = identity{user: "system:node:" + n.Name, groups: []string{"system:nodes"}}
		if err := ca.server("kubelet-serving-"+n.Name, n.Name, []string{n.Name}, []net.IP{parseIP(n.Address)}); err != nil {
			return err
		}
	}
	for name, who := range clients {
		if err := ca.client(name, who); err != nil {
			return err
		}
		if name == "apiserver-kubelet-client" {
			continue
		}
		path := filepath.Join(dir, name+".kubeconfig")
		if name == "admin" {
			path = adminKubeconfig()
		}
		if err := kubeconfig(path, c.apiServerURL(), dir, name); err != nil {
			return err
		}
	}
	return nil
}

// startAPIServer starts etcd and the API server, each a process of its own in the root network
// namespace, listening on the bridge's address.
func (c *cluster) startAPIServer(localkube string) error {
	dir, cg, addr, p := controlPlaneDir(), c.controlPlaneCgroup(), c.controlPlaneAddress(), pkiFile
	etcdURL := fmt.Sprintf("http://%s:%d", addr, etcdPort)
	if err := c.daemon("etcd", cg, nil, localkube, "etcd", "--data-dir="+filepath.Join(dir, "etcd"), "--listen-client-url="+etcdURL); err != nil {
		return err
	}
	apiserver := []string{localkube, "kube-apiserver",
		"--etcd-servers=" + etcdURL,
		"--advertise-address=" + addr,
		"--bind-address=" + addr,
		fmt.Sprintf("--secure-port=%d", apiPort),
		"--cert-dir=" + filepath.Join(dir, "apiserver"),
		"--tls-cert-file=" + p("kube-apiserver.crt"),
		"--tls-private-key-file=" + p("kube-apiserver.key"),
		"--client-ca-file=" + p("ca.crt"),
		"--authorization-mode=Node,RBAC",
		"--enable-admission-plugins=NodeRestriction",
		"--allow-privileged=true",
		"--service-cluster-ip-range=" + serviceCIDR,
		"--service-account-issuer=https://kubernetes.default.svc." + clusterDomain,
		"--service-account-key-file=" + p("sa.pub"),
		"--service-account-signing-key-file=" + p("sa.key"),
		"--kubelet-client-certificate=" + p("apiserver-kubelet-client.crt"),
		"--kubelet-client-key=" + p("apiserver-kubelet-client.key"),
		"--kubelet-certificate-authority=" + p("ca.crt"),
		"--kubelet-preferred-address-types=InternalIP",
		"--profiling=false",
	}
	return c.daemon("kube-apiserver", cg, nil, apiserver...)
}

// startControllers starts the controller manager and the scheduler. They start once the API
// server is ready: before its RBAC roles are bootstrapped they are refused and exit.
func (c *cluster) startControllers(localkube string) error {
	cg, addr, p := c.controlPlaneCgroup(), c.controlPlaneAddress(), pkiFile
	component := func(name string, port int, extra ...string) error {
		kc := p(name + ".kubeconfig")
		args := append([]string{localkube, name,
			"--kubeconfig=" + kc,
			"--authentication-kubeconfig=" + kc,
			"--authorization-kubeconfig=" + kc,
			"--bind-address=" + addr,
			fmt.Sprintf("--secure-port=%d", port),
			"--leader-elect=false",
			"--profiling=false",
		}, extra...)
		return c.daemon(name, cg, nil, args...)
	}
	if err := component("kube-controller-manager", 10257,
		"--use-service-account-credentials=true",
		"--root-ca-file="+p("ca.crt"),
		"--service-account-private-key-file="+p("sa.key"),
		"--cluster-signing-cert-file="+p("ca.crt"),
		"--cluster-signing-key-file="+p("ca.key"),
		"--allocate-node-cidrs=true",
		"--cluster-cidr="+podCIDR,
		"--node-cidr-mask-size=24",
		"--service-cluster-ip-range="+serviceCIDR,
		"--controllers=*",
	); err != nil {
		return err
	}
	return component("kube-scheduler", 10259)
}

// writeFile writes content, creating the parent directories.
func writeFile(path, content string, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(strings.TrimLeft(content, "\n")), mode)
}
