package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// authority is the cluster's one certificate authority: it signs every serving and client
// certificate of the control plane and the nodes, and the API server trusts it for clients.
type authority struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	dir  string
}

// identity is who a client certificate says it is: the API server's authenticator takes the
// user from the common name and the groups from the organizations.
type identity struct {
	user   string
	groups []string
}

func newAuthority(dir string) (*authority, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	template := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "swarmnet-cluster-ca"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().AddDate(1, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, _ := x509.ParseCertificate(der)
	ca := &authority{cert: cert, key: key, dir: dir}
	return ca, ca.write("ca", der, key)
}

// client issues a client certificate for who and writes <name>.crt and <name>.key.
func (ca *authority) client(name string, who identity) error {
	return ca.issue(name, pkix.Name{CommonName: who.user, Organization: who.groups},
		[]x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, nil, nil)
}

// server issues a serving certificate for the given names and addresses.
func (ca *authority) server(name, commonName string, dnsNames []string, addresses []net.IP) error {
	return ca.issue(name, pkix.Name{CommonName: commonName},
		[]x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, dnsNames, addresses)
}

func (ca *authority) issue(name string, subject pkix.Name, usage []x509.ExtKeyUsage, dnsNames []string, addresses []net.IP) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	template := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      subject,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  usage,
		DNSNames:     dnsNames,
		IPAddresses:  addresses,
	}
	der, err := x509.CreateCertificate(rand.Reader, template, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return fmt.Errorf("certificate %s: %w", name, err)
	}
	return ca.write(name, der, key)
}

func (ca *authority) write(name string, der []byte, key *ecdsa.PrivateKey) error {
	keyDer, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	if err := writePem(filepath.Join(ca.dir, name+".crt"), "CERTIFICATE", der, 0o644); err != nil {
		return err
	}
	return writePem(filepath.Join(ca.dir, name+".key"), "EC PRIVATE KEY", keyDer, 0o600)
}

// serviceAccountKeys writes the RSA pair the API server signs service-account tokens with.
func serviceAccountKeys(dir string) error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	public, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return err
	}
	if err := writePem(filepath.Join(dir, "sa.pub"), "PUBLIC KEY", public, 0o644); err != nil {
		return err
	}
	return writePem(filepath.Join(dir, "sa.key"), "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key), 0o600)
}

func writePem(path, kind string, der []byte, mode os.FileMode) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), mode)
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	return n
}

// kubeconfig writes a kubeconfig for a client certificate issued as <name>.crt/.key.
func kubeconfig(path, server, pkiDir, name string) error {
	content := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: swarmnet
  cluster:
    server: %s
    certificate-authority: %s
users:
- name: %s
  user:
    client-certificate: %s
    client-key: %s
contexts:
- name: swarmnet
  context:
    cluster: swarmnet
    user: %s
current-context: swarmnet
`, server, filepath.Join(pkiDir, "ca.crt"), name, filepath.Join(pkiDir, name+".crt"), filepath.Join(pkiDir, name+".key"), name)
	return os.WriteFile(path, []byte(content), 0o600)
}
