package domain

import "regexp"

// nameRE is the rule for every user-chosen resource name: a DNS-1123 label, so that names
// can become VM names, Kubernetes object names and Antrea ClusterIDs unchanged.
var nameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// ValidName reports whether s is a valid resource name (a DNS-1123 label, at most 63 characters).
func ValidName(s string) bool { return nameRE.MatchString(s) }

// checkName adds a field error to v when name is not a valid resource name.
func checkName(v *ValidationError, field, name string) {
	switch {
	case name == "":
		v.Add(field, "is required")
	case !ValidName(name):
		v.Add(field, "must be a DNS label: lower-case letters, digits and '-', at most 63 characters, starting and ending with a letter or digit")
	}
}
