package supervise

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	appslisters "k8s.io/client-go/listers/apps/v1"
	"k8s.io/client-go/tools/cache"
)

// WatchDeployments watches the Deployments called name, in namespace or in every
// namespace when it is empty, until ctx ends. It returns their lister and a channel
// that receives a value after changes (several changes may share one value), and stop,
// which ends the watch; call it when done.
func WatchDeployments(ctx context.Context, kube kubernetes.Interface, namespace, name string) (appslisters.DeploymentLister, <-chan struct{}, func(), error) {
	opts := []informers.SharedInformerOption{informers.WithTweakListOptions(func(o *metav1.ListOptions) {
		o.FieldSelector = fields.OneTermEqualSelector("metadata.name", name).String()
	})}
	if namespace != "" {
		opts = append(opts, informers.WithNamespace(namespace))
	}
	factory := informers.NewSharedInformerFactoryWithOptions(kube, 0, opts...)
	deployments := factory.Apps().V1().Deployments()
	changed := make(chan struct{}, 1)
	nudge := func(any) {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	if _, err := deployments.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: nudge, UpdateFunc: func(_, o any) { nudge(o) }, DeleteFunc: nudge,
	}); err != nil {
		return nil, nil, nil, err
	}
	factory.Start(ctx.Done())
	return deployments.Lister(), changed, factory.Shutdown, nil
}
