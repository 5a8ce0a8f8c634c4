package cloudinit

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// KubeadmConfig is the content of a kubeadm configuration file: whichever
// of the three documents are present.
type KubeadmConfig struct {
	Init    *InitConfiguration
	Cluster *ClusterConfiguration
	Join    *JoinConfiguration
}

// Docs returns the present documents in the order kubeadm's own
// `kubeadm config print` uses: Init, Cluster, Join.
func (c KubeadmConfig) Docs() []any {
	var docs []any
	if c.Init != nil {
		docs = append(docs, c.Init)
	}
	if c.Cluster != nil {
		docs = append(docs, c.Cluster)
	}
	if c.Join != nil {
		docs = append(docs, c.Join)
	}
	return docs
}

// Render marshals the present documents with RenderKubeadm.
func (c KubeadmConfig) Render() ([]byte, error) {
	return RenderKubeadm(c.Docs()...)
}

// RenderKubeadm marshals kubeadm configuration documents (InitConfiguration,
// ClusterConfiguration or JoinConfiguration, as values or pointers) into
// one multi-document YAML file, filling in apiVersion and kind. A document
// whose TypeMeta is set to anything else is an error.
func RenderKubeadm(docs ...any) ([]byte, error) {
	if len(docs) == 0 {
		return nil, errors.New("cloudinit: render kubeadm: no documents")
	}
	var out bytes.Buffer
	for i, doc := range docs {
		obj, meta, kind, err := kubeadmDocument(doc)
		if err != nil {
			return nil, fmt.Errorf("cloudinit: render kubeadm: document %d: %w", i, err)
		}
		if err := meta.fill(kind); err != nil {
			return nil, fmt.Errorf("cloudinit: render kubeadm: document %d: %w", i, err)
		}
		b, err := yaml.Marshal(obj)
		if err != nil {
			return nil, fmt.Errorf("cloudinit: render kubeadm %s: %w", kind, err)
		}
		if i > 0 {
			out.WriteString("---\n")
		}
		out.Write(b)
	}
	return out.Bytes(), nil
}

// kubeadmDocument returns a copy of doc that can be marshalled, its
// TypeMeta and its kind.
func kubeadmDocument(doc any) (obj any, meta *TypeMeta, kind string, err error) {
	switch d := doc.(type) {
	case *InitConfiguration:
		if d == nil {
			return nil, nil, "", errors.New("nil *InitConfiguration")
		}
		return kubeadmDocument(*d)
	case *ClusterConfiguration:
		if d == nil {
			return nil, nil, "", errors.New("nil *ClusterConfiguration")
		}
		return kubeadmDocument(*d)
	case *JoinConfiguration:
		if d == nil {
			return nil, nil, "", errors.New("nil *JoinConfiguration")
		}
		return kubeadmDocument(*d)
	case InitConfiguration:
		return &d, &d.TypeMeta, KindInitConfiguration, nil
	case ClusterConfiguration:
		return &d, &d.TypeMeta, KindClusterConfiguration, nil
	case JoinConfiguration:
		return &d, &d.TypeMeta, KindJoinConfiguration, nil
	default:
		return nil, nil, "", fmt.Errorf("unsupported type %T", doc)
	}
}

// fill sets apiVersion and kind, refusing conflicting values.
func (m *TypeMeta) fill(kind string) error {
	if m.APIVersion != "" && m.APIVersion != KubeadmAPIVersion {
		return fmt.Errorf("apiVersion %q, want %q", m.APIVersion, KubeadmAPIVersion)
	}
	if m.Kind != "" && m.Kind != kind {
		return fmt.Errorf("kind %q set on a %s", m.Kind, kind)
	}
	m.APIVersion, m.Kind = KubeadmAPIVersion, kind
	return nil
}

// ParseKubeadm parses a multi-document kubeadm configuration file. Every
// document must be kubeadm.k8s.io/v1beta4 InitConfiguration,
// ClusterConfiguration or JoinConfiguration, each at most once. Unknown
// fields are ignored, as kubeadm's lenient decoding does.
func ParseKubeadm(data []byte) (*KubeadmConfig, error) {
	var cfg KubeadmConfig
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	n := 0
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("cloudinit: parse kubeadm: %w", err)
		}
		var generic any
		if err := yaml.Unmarshal(doc, &generic); err != nil {
			return nil, fmt.Errorf("cloudinit: parse kubeadm document %d: %w", n+1, err)
		}
		if generic == nil { // empty, or only comments
			continue
		}
		n++
		var meta TypeMeta
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			return nil, fmt.Errorf("cloudinit: parse kubeadm document %d: %w", n, err)
		}
		if meta.APIVersion != KubeadmAPIVersion {
			return nil, fmt.Errorf("cloudinit: parse kubeadm document %d: unsupported apiVersion %q (kind %q), want %s",
				n, meta.APIVersion, meta.Kind, KubeadmAPIVersion)
		}
		var target any
		switch meta.Kind {
		case KindInitConfiguration:
			if cfg.Init != nil {
				return nil, fmt.Errorf("cloudinit: parse kubeadm: more than one %s", meta.Kind)
			}
			cfg.Init = &InitConfiguration{}
			target = cfg.Init
		case KindClusterConfiguration:
			if cfg.Cluster != nil {
				return nil, fmt.Errorf("cloudinit: parse kubeadm: more than one %s", meta.Kind)
			}
			cfg.Cluster = &ClusterConfiguration{}
			target = cfg.Cluster
		case KindJoinConfiguration:
			if cfg.Join != nil {
				return nil, fmt.Errorf("cloudinit: parse kubeadm: more than one %s", meta.Kind)
			}
			cfg.Join = &JoinConfiguration{}
			target = cfg.Join
		default:
			return nil, fmt.Errorf("cloudinit: parse kubeadm document %d: unsupported kind %q", n, meta.Kind)
		}
		if err := yaml.Unmarshal(doc, target); err != nil {
			return nil, fmt.Errorf("cloudinit: parse kubeadm %s: %w", meta.Kind, err)
		}
	}
	if n == 0 {
		return nil, errors.New("cloudinit: parse kubeadm: no documents")
	}
	return &cfg, nil
}
