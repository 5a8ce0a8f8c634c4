package csi

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	storagelisters "k8s.io/client-go/listers/storage/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
)

// provisioner does the work of the csi-provisioner sidecar and the
// driver's controller service while the controller Deployment is available.
type provisioner struct {
	kube     kubernetes.Interface
	claims   corelisters.PersistentVolumeClaimLister
	volumes  corelisters.PersistentVolumeLister
	classes  storagelisters.StorageClassLister
	events   record.EventRecorder
	log      *slog.Logger
	identity string

	// vc is the vCenter session, kept while the configuration is the same.
	vc *vcenter
}

// startProvisioner starts a provisioner and returns the function that
// stops it and waits for it.
func startProvisioner(kube kubernetes.Interface, resync time.Duration, log *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	broadcaster := record.NewBroadcaster(record.WithContext(ctx))
	broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: kube.CoreV1().Events("")})
	factory := informers.NewSharedInformerFactory(kube, 0)
	p := &provisioner{
		kube:    kube,
		claims:  factory.Core().V1().PersistentVolumeClaims().Lister(),
		volumes: factory.Core().V1().PersistentVolumes().Lister(),
		classes: factory.Storage().V1().StorageClasses().Lister(),
		events: broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{
			Component: Driver + "_" + ControllerDeployment,
		}),
		log: log,
		// The sidecar's identity: start time, a random number, the driver.
		identity: fmt.Sprintf("%d-%d-%s", time.Now().UnixMilli(), rand.IntN(10000), Driver),
	}
	changed := make(chan struct{}, 1)
	nudge := func(any) {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	handler := cache.ResourceEventHandlerFuncs{AddFunc: nudge, UpdateFunc: func(_, o any) { nudge(o) }, DeleteFunc: nudge}
	for _, inf := range []cache.SharedIndexInformer{
		factory.Core().V1().PersistentVolumeClaims().Informer(),
		factory.Core().V1().PersistentVolumes().Informer(),
		factory.Storage().V1().StorageClasses().Informer(),
	} {
		if _, err := inf.AddEventHandler(handler); err != nil {
			log.Error("watch volumes", "err", err)
		}
	}
	factory.Start(ctx.Done())
	go func() {
		defer close(done)
		defer factory.Shutdown()
		defer broadcaster.Shutdown()
		defer p.dropSession()
		factory.WaitForCacheSync(ctx.Done())
		ticker := time.NewTicker(resync)
		defer ticker.Stop()
		for {
			p.reconcile(ctx)
			select {
			case <-ctx.Done():
				return
			case <-changed:
			case <-ticker.C:
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// work is what one pass has to do.
type work struct {
	provision []claimWork
	remove    []*corev1.PersistentVolume
}

type claimWork struct {
	claim *corev1.PersistentVolumeClaim
	class *storagev1.StorageClass
}

// reconcile provisions the claims that wait for this driver and deletes
// its released volumes. It reads the configuration and talks to vCenter
// only when there is such work.
func (p *provisioner) reconcile(ctx context.Context) {
	w := p.pending()
	if len(w.provision) == 0 && len(w.remove) == 0 {
		return
	}
	fail := func(err error) {
		if ctx.Err() != nil {
			return // stopping: not the driver's failure
		}
		for _, cw := range w.provision {
			p.provisionFailed(cw, err)
		}
		for _, pv := range w.remove {
			p.events.Eventf(pv, corev1.EventTypeWarning, "VolumeFailedDelete", "%v", err)
		}
	}
	cfg, err := p.config(ctx)
	if err != nil {
		fail(err)
		return
	}
	vc, err := p.session(ctx, cfg)
	if err != nil {
		fail(fmt.Errorf("rpc error: code = Internal desc = failed to get vCenter: %w", err))
		return
	}
	dss, err := vc.datastores(ctx, cfg.Datacenters)
	if err != nil {
		p.dropSession()
		fail(err)
		return
	}
	for _, cw := range w.provision {
		if err := p.provision(ctx, vc, dss, cw.claim, cw.class); err != nil && ctx.Err() == nil {
			p.provisionFailed(cw, err)
		}
	}
	for _, pv := range w.remove {
		if err := p.delete(ctx, vc, dss, pv); err != nil && ctx.Err() == nil {
			p.log.Warn("delete volume", "volume", pv.Name, "err", err)
			p.events.Eventf(pv, corev1.EventTypeWarning, "VolumeFailedDelete", "%v", err)
		}
	}
}

// provisionFailed reports a failed provisioning on the claim, as the
// sidecar does.
func (p *provisioner) provisionFailed(cw claimWork, err error) {
	p.log.Warn("provision volume", "claim", cw.claim.Namespace+"/"+cw.claim.Name, "err", err)
	p.events.Eventf(cw.claim, corev1.EventTypeWarning, "ProvisioningFailed",
		"failed to provision volume with StorageClass %q: %v", cw.class.Name, err)
}

// pending finds the claims to provision and the volumes to delete.
func (p *provisioner) pending() work {
	var w work
	claims, _ := p.claims.List(labels.Everything())
	for _, claim := range claims {
		if class := p.wants(claim); class != nil {
			w.provision = append(w.provision, claimWork{claim: claim, class: class})
		}
	}
	volumes, _ := p.volumes.List(labels.Everything())
	for _, pv := range volumes {
		if releasedForDeletion(pv) {
			w.remove = append(w.remove, pv)
		}
	}
	return w
}

// wants returns the class of a claim this driver is to provision now, or nil.
func (p *provisioner) wants(claim *corev1.PersistentVolumeClaim) *storagev1.StorageClass {
	if claim.Spec.VolumeName != "" || claim.DeletionTimestamp != nil || claim.Status.Phase != corev1.ClaimPending {
		return nil
	}
	// The controller-manager hands the claim over with an annotation.
	if claim.Annotations[annStorageProvisioner] != Driver && claim.Annotations[annBetaStorageProvisioner] != Driver {
		return nil
	}
	if claim.Spec.StorageClassName == nil {
		return nil
	}
	class, err := p.classes.Get(*claim.Spec.StorageClassName)
	if err != nil || class.Provisioner != Driver {
		return nil
	}
	if class.VolumeBindingMode != nil && *class.VolumeBindingMode == storagev1.VolumeBindingWaitForFirstConsumer &&
		claim.Annotations[annSelectedNode] == "" {
		return nil // the scheduler has not picked a node yet
	}
	if _, err := p.volumes.Get(volumeName(string(claim.UID))); err == nil {
		return nil // provisioned; the controller-manager binds it
	}
	return class
}

// releasedForDeletion reports whether a volume is this driver's, with
// reclaim policy Delete, and no longer wanted: its claim deleted, or the
// volume itself deleted while it carries the sidecar's finalizer.
func releasedForDeletion(pv *corev1.PersistentVolume) bool {
	if pv.Spec.CSI == nil || pv.Spec.CSI.Driver != Driver || pv.Annotations[annProvisionedBy] != Driver ||
		pv.Spec.PersistentVolumeReclaimPolicy != corev1.PersistentVolumeReclaimDelete {
		return false
	}
	if pv.Status.Phase == corev1.VolumeReleased {
		return true
	}
	return pv.DeletionTimestamp != nil && pv.Status.Phase != corev1.VolumeBound && hasFinalizer(pv.Finalizers)
}

func hasFinalizer(fs []string) bool {
	for _, f := range fs {
		if f == Finalizer {
			return true
		}
	}
	return false
}

// config reads and parses the driver's configuration from its Secret.
func (p *provisioner) config(ctx context.Context) (Config, error) {
	s, err := p.kube.CoreV1().Secrets(Namespace).Get(ctx, ConfigSecret, metav1.GetOptions{})
	if err != nil {
		return Config{}, fmt.Errorf("read secret %s/%s: %w", Namespace, ConfigSecret, err)
	}
	data, ok := s.Data[ConfigKey]
	if !ok {
		return Config{}, fmt.Errorf("secret %s/%s has no key %s", Namespace, ConfigSecret, ConfigKey)
	}
	return ParseConfig(data)
}

// session returns a vCenter session for cfg, logging in anew when the
// configuration changed.
func (p *provisioner) session(ctx context.Context, cfg Config) (*vcenter, error) {
	if p.vc != nil && p.vc.key == configKey(cfg) {
		return p.vc, nil
	}
	p.dropSession()
	vc, err := login(ctx, cfg)
	if err != nil {
		return nil, err
	}
	p.log.Info("logged in to vCenter", "vcenter", cfg.Host, "user", cfg.User)
	p.vc = vc
	return vc, nil
}

// dropSession logs out, so that the next pass logs in again.
func (p *provisioner) dropSession() {
	if p.vc == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p.vc.logout(ctx)
	p.vc = nil
}
