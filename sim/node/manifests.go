package node

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"text/template"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
)

// applyManifests renders a multi-document YAML template with data and
// creates or updates every object in it.
func applyManifests(ctx context.Context, c kubernetes.Interface, tmpl string, data any) error {
	t, err := template.New("manifests").Option("missingkey=error").Parse(tmpl)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		return err
	}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(&buf))
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(doc, nil, nil)
		if err != nil {
			return fmt.Errorf("decode manifest: %w\n%s", err, doc)
		}
		if err := applyObject(ctx, c, obj); err != nil {
			return err
		}
	}
}

// applyObject creates or updates one object of the kinds kubeadm creates.
func applyObject(ctx context.Context, c kubernetes.Interface, obj any) error {
	var err error
	var what string
	switch o := obj.(type) {
	case *corev1.ConfigMap:
		what, err = "ConfigMap "+o.Namespace+"/"+o.Name, apply(ctx, c.CoreV1().ConfigMaps(o.Namespace), o)
	case *corev1.Secret:
		what, err = "Secret "+o.Namespace+"/"+o.Name, apply(ctx, c.CoreV1().Secrets(o.Namespace), o)
	case *corev1.Service:
		what, err = "Service "+o.Namespace+"/"+o.Name, apply(ctx, c.CoreV1().Services(o.Namespace), o)
	case *corev1.ServiceAccount:
		what, err = "ServiceAccount "+o.Namespace+"/"+o.Name, apply(ctx, c.CoreV1().ServiceAccounts(o.Namespace), o)
	case *appsv1.Deployment:
		what, err = "Deployment "+o.Namespace+"/"+o.Name, apply(ctx, c.AppsV1().Deployments(o.Namespace), o)
	case *appsv1.DaemonSet:
		what, err = "DaemonSet "+o.Namespace+"/"+o.Name, apply(ctx, c.AppsV1().DaemonSets(o.Namespace), o)
	case *rbacv1.ClusterRole:
		what, err = "ClusterRole "+o.Name, apply(ctx, c.RbacV1().ClusterRoles(), o)
	case *rbacv1.ClusterRoleBinding:
		what, err = "ClusterRoleBinding "+o.Name, apply(ctx, c.RbacV1().ClusterRoleBindings(), o)
	case *rbacv1.Role:
		what, err = "Role "+o.Namespace+"/"+o.Name, apply(ctx, c.RbacV1().Roles(o.Namespace), o)
	case *rbacv1.RoleBinding:
		what, err = "RoleBinding "+o.Namespace+"/"+o.Name, apply(ctx, c.RbacV1().RoleBindings(o.Namespace), o)
	default:
		return fmt.Errorf("unsupported object %T", obj)
	}
	if err != nil {
		return fmt.Errorf("apply %s: %w", what, err)
	}
	return nil
}
