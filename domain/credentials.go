package domain

// VCenterCredentials is what an activity needs to log in to a vCenter. It carries the
// password: it is built from the inventory inside an activity and must never enter a
// workflow input or result, a log line, an error message or an API reply.
type VCenterCredentials struct {
	Server     string // SDK URL, e.g. https://vc.example.com/sdk
	Username   string
	Password   string
	Insecure   bool
	Thumbprint string
}
