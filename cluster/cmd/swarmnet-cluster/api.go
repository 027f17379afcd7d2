package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// apiClient talks to the API server as the cluster's admin, for the few reads `up` waits on.
type apiClient struct {
	http *http.Client
	base string
}

func (c *cluster) api() (*apiClient, error) {
	cert, err := tls.LoadX509KeyPair(pkiFile("admin.crt"), pkiFile("admin.key"))
	if err != nil {
		return nil, err
	}
	caPem, err := os.ReadFile(pkiFile("ca.crt"))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPem)
	transport := &http.Transport{TLSClientConfig: &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool}}
	return &apiClient{http: &http.Client{Transport: transport, Timeout: 5 * time.Second}, base: c.apiServerURL()}, nil
}

func (a *apiClient) get(path string, into any) error {
	response, err := a.http.Get(a.base + path)
	if err != nil {
		return err
	}
	defer response.Body.Close()
	body, _ := io.ReadAll(response.Body)
	if response.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", path, response.Status, body)
	}
	if into == nil {
		return nil
	}
	return json.Unmarshal(body, into)
}

type nodeObject struct {
	Spec struct {
		PodCIDR string `json:"podCIDR"`
	} `json:"spec"`
	Status struct {
		Conditions []struct {
			Type   string `json:"type"`
			Status string `json:"status"`
		} `json:"conditions"`
	} `json:"status"`
}

func (n nodeObject) ready() bool {
	for _, c := range n.Status.Conditions {
		if c.Type == "Ready" {
			return c.Status == "True"
		}
	}
	return false
}

// waitFor polls check until it holds, the timeout passes, or failed() names a reason to stop.
func waitFor(what string, timeout time.Duration, check func() (bool, error), failed func() error) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		ok, err := check()
		if ok {
			return nil
		}
		last = err
		if failed != nil {
			if err := failed(); err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	if last != nil {
		return fmt.Errorf("%s: not reached within %s (last: %v)", what, timeout, last)
	}
	return fmt.Errorf("%s: not reached within %s", what, timeout)
}
