package csi

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
)

// Config is what the simulated driver reads from csi-vsphere.conf: the
// cluster id and the vCenter to use. Only the first [VirtualCenter]
// section is used, as the simulated datacenter has one vCenter.
type Config struct {
	ClusterID string
	// Host is the section name of [VirtualCenter "host"].
	Host        string
	Port        int
	User        string
	Password    string
	Insecure    bool
	Thumbprint  string
	Datacenters []string
}

// ParseConfig parses csi-vsphere.conf (the gcfg/INI syntax the real driver
// reads). Errors name the line or the key; they never quote a value.
func ParseConfig(data []byte) (Config, error) {
	var (
		cfg     Config
		section string
		seenVC  bool
	)
	cfg.Port = 443
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";") {
			continue
		}
		if strings.HasPrefix(line, "[") {
			name, sub, err := parseSection(line)
			if err != nil {
				return Config{}, fmt.Errorf("csi-vsphere.conf line %d: %w", n, err)
			}
			section = strings.ToLower(name)
			if section == "virtualcenter" {
				if seenVC {
					section = "ignored" // a second vCenter
					continue
				}
				seenVC, cfg.Host = true, sub
			}
			continue
		}
		key, raw, ok := strings.Cut(line, "=")
		if !ok {
			return Config{}, fmt.Errorf("csi-vsphere.conf line %d: want key = value", n)
		}
		key = strings.ToLower(strings.TrimSpace(key))
		val, err := unquote(strings.TrimSpace(raw))
		if err != nil {
			return Config{}, fmt.Errorf("csi-vsphere.conf line %d (%s): %w", n, key, err)
		}
		if err := cfg.set(section, key, val); err != nil {
			return Config{}, fmt.Errorf("csi-vsphere.conf line %d: %w", n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return Config{}, fmt.Errorf("read csi-vsphere.conf: %w", err)
	}
	switch {
	case !seenVC || cfg.Host == "":
		return Config{}, fmt.Errorf("csi-vsphere.conf: no [VirtualCenter \"host\"] section")
	case cfg.User == "":
		return Config{}, fmt.Errorf("csi-vsphere.conf: [VirtualCenter] user is empty")
	case len(cfg.Datacenters) == 0:
		return Config{}, fmt.Errorf("csi-vsphere.conf: [VirtualCenter] datacenters is empty")
	}
	return cfg, nil
}

// set applies one key of a section.
func (c *Config) set(section, key, val string) error {
	switch section + "." + key {
	case "global.cluster-id":
		c.ClusterID = val
	case "virtualcenter.user":
		c.User = val
	case "virtualcenter.password":
		c.Password = val
	case "virtualcenter.port":
		p, err := strconv.Atoi(val)
		if err != nil || p <= 0 || p > 65535 {
			return fmt.Errorf("[VirtualCenter] port must be a TCP port")
		}
		c.Port = p
	case "virtualcenter.insecure-flag":
		b, err := strconv.ParseBool(val)
		if err != nil {
			return fmt.Errorf("[VirtualCenter] insecure-flag must be true or false")
		}
		c.Insecure = b
	case "virtualcenter.thumbprint":
		c.Thumbprint = val
	case "virtualcenter.datacenters":
		c.Datacenters = nil
		for dc := range strings.SplitSeq(val, ",") {
			if dc = strings.TrimSpace(dc); dc != "" {
				c.Datacenters = append(c.Datacenters, dc)
			}
		}
	}
	return nil // other keys (ca-file, [Snapshot], ...) do not matter here
}

// parseSection parses [name] or [name "sub"].
func parseSection(line string) (name, sub string, err error) {
	if !strings.HasSuffix(line, "]") {
		return "", "", fmt.Errorf("section header without ]")
	}
	inner := strings.TrimSpace(line[1 : len(line)-1])
	name, rest, _ := strings.Cut(inner, " ")
	if rest = strings.TrimSpace(rest); rest != "" {
		if sub, err = unquote(rest); err != nil {
			return "", "", fmt.Errorf("section %s: %w", name, err)
		}
	}
	return name, sub, nil
}

// unquote undoes gcfg quoting: "..." with \\ and \" escapes; a bare value
// is taken as it is.
func unquote(s string) (string, error) {
	if !strings.HasPrefix(s, `"`) {
		return s, nil
	}
	if len(s) < 2 || !strings.HasSuffix(s, `"`) {
		return "", fmt.Errorf("unterminated quoted value")
	}
	var b strings.Builder
	body := s[1 : len(s)-1]
	for i := 0; i < len(body); i++ {
		if body[i] == '\\' && i+1 < len(body) {
			i++
		}
		b.WriteByte(body[i])
	}
	return b.String(), nil
}
