package main

import (
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

//go:embed manifests/coredns.yaml
var corednsManifest string

const clusterDNS = "10.96.0.10"

// corednsImage is the name the locally built CoreDNS image carries (images/build.sh names it the same way).
const corednsImage = "registry.k8s.io/coredns/coredns:local"

// clusterDNSService deploys CoreDNS as the cluster's DNS service and waits until it answers.
func (c *cluster) clusterDNSService(api *apiClient) error {
	manifest := strings.NewReplacer("{{CLUSTER_DOMAIN}}", clusterDomain, "{{COREDNS_IMAGE}}", corednsImage, "{{CLUSTER_DNS}}", clusterDNS).Replace(corednsManifest)
	path := filepath.Join(stateRoot, "coredns.yaml")
	if err := os.WriteFile(path, []byte(manifest), 0o644); err != nil {
		return err
	}
	if err := run(filepath.Join(toolsDir, "kubectl"), "--kubeconfig", adminKubeconfig(), "apply", "-f", path); err != nil {
		return err
	}
	return waitFor("CoreDNS available", 90*time.Second, func() (bool, error) {
		var deployment struct {
			Status struct {
				AvailableReplicas int `json:"availableReplicas"`
			} `json:"status"`
		}
		err := api.get("/apis/apps/v1/namespaces/kube-system/deployments/coredns", &deployment)
		if err != nil {
			return false, err
		}
		return deployment.Status.AvailableReplicas > 0, fmt.Errorf("no CoreDNS replica available yet")
	}, nil)
}
