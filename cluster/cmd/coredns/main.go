// Command coredns is the local cluster's DNS service: upstream CoreDNS with only the plugins a
// kube-dns Deployment uses, in the order CoreDNS itself runs them.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/forward"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/ready"
)

func init() {
	// a subset of CoreDNS's plugin.cfg, in its order: that order, not the Corefile's, decides
	// which plugin sees a query first
	dnsserver.Directives = []string{"ready", "health", "errors", "loadbalance", "cache", "kubernetes", "forward"}
}

func main() {
	coremain.Run()
}
