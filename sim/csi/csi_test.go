package csi_test

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/cli"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"

	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/pki"
	"github.com/clusterwright/clusterwright/sim"
	"github.com/clusterwright/clusterwright/sim/charts"
	"github.com/clusterwright/clusterwright/sim/csi"
	"github.com/clusterwright/clusterwright/sim/kubeproc"
	"github.com/clusterwright/clusterwright/sim/node/nodetest"
)

// The cluster of this package's test; 127.23.0.0/24 is this package's.
const nodeIP = "127.23.0.10"

// kubeVersion is the cluster's Kubernetes version: the default.
var kubeVersion = domain.KubernetesVersions().Default

// TestProvisionAndDelete boots a one-node cluster in the simulated
// datacenter and deploys the vSphere CSI chart with the Helm SDK: a claim
// waits while the driver is missing and while its credentials are wrong
// (with a ProvisioningFailed event), is provisioned as a First Class Disk
// and bound once they are right; a WaitForFirstConsumer claim waits for the
// scheduler to pick a node for its Pod; deleting claims deletes their
// volumes and disks, except with reclaim policy Retain.
func TestProvisionAndDelete(t *testing.T) {
	if _, err := kubeproc.Binaries(kubeVersion); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	dc, err := sim.StartDatacenter(ctx, sim.DatacenterOptions{
		VCenter:  sim.VCenterOptions{VMs: -1},
		StateDir: t.TempDir(),
		Logger:   slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo})),
		CSI:      csi.Options{Resync: time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dc.Close)
	vc := login(t, dc.VCenter())

	began := time.Now()
	cl := bootCluster(t, vc, "csi")
	t.Logf("cluster booted in %s", time.Since(began).Round(time.Millisecond))

	early := storageClass("early", storagev1.VolumeBindingImmediate)
	if _, err := cl.kube.StorageV1().StorageClasses().Create(ctx, early, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	createClaim(t, cl.kube, "early", "early", "1Gi")

	t.Run("no driver: the claim waits", func(t *testing.T) {
		// The controller-manager hands the claim to the external provisioner...
		waitFor(t, 30*time.Second, "claim handed to "+csi.Driver, func(ctx context.Context) (bool, error) {
			pvc, err := cl.kube.CoreV1().PersistentVolumeClaims("default").Get(ctx, "early", metav1.GetOptions{})
			return err == nil && pvc.Annotations["volume.kubernetes.io/storage-provisioner"] == csi.Driver, err
		})
		// ...which is not deployed: a few resync periods change nothing.
		time.Sleep(3 * time.Second)
		assertPending(t, cl.kube, "early")
		assertDisks(t, vc, nil)
	})

	vals := csiValues(dc.VCenter(), "wrong-password")
	ch, err := charts.Load("vsphere-csi")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("wrong credentials: the claim waits with an event", func(t *testing.T) {
		install(t, cl, ch, vals)
		waitFor(t, time.Minute, "vsphere-csi-controller Available", func(ctx context.Context) (bool, error) {
			d, err := cl.kube.AppsV1().Deployments(csi.Namespace).Get(ctx, csi.ControllerDeployment, metav1.GetOptions{})
			return err == nil && d.Status.AvailableReplicas == 1, err
		})
		var msg string
		waitFor(t, 30*time.Second, "ProvisioningFailed event on the claim", func(ctx context.Context) (bool, error) {
			msg = claimEvent(ctx, t, cl.kube, "early", "ProvisioningFailed")
			return msg != "", nil
		})
		t.Logf("event: %s", msg)
		if !strings.Contains(msg, "log in to vCenter") {
			t.Errorf("event %q does not say the login failed", msg)
		}
		if strings.Contains(msg, "wrong-password") {
			t.Errorf("event shows the password: %q", msg)
		}
		assertPending(t, cl.kube, "early")
		assertDisks(t, vc, nil)
	})

	var pvs map[string]*corev1.PersistentVolume
	t.Run("right credentials: claims bound to First Class Disks", func(t *testing.T) {
		began := time.Now()
		upgrade(t, cl, ch, csiValues(dc.VCenter(), dc.VCenter().Password))
		createClaim(t, cl.kube, "data", "", "1500Mi") // the chart's default class
		pvs = map[string]*corev1.PersistentVolume{}
		for _, name := range []string{"early", "data"} {
			waitFor(t, time.Minute, "claim "+name+" Bound", func(ctx context.Context) (bool, error) {
				pvc, err := cl.kube.CoreV1().PersistentVolumeClaims("default").Get(ctx, name, metav1.GetOptions{})
				if err != nil {
					return false, err
				}
				return pvc.Status.Phase == corev1.ClaimBound, fmt.Errorf("phase %s, volume %q", pvc.Status.Phase, pvc.Spec.VolumeName)
			})
			pvc, err := cl.kube.CoreV1().PersistentVolumeClaims("default").Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			pv, err := cl.kube.CoreV1().PersistentVolumes().Get(ctx, pvc.Spec.VolumeName, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if pv.Name != "pvc-"+string(pvc.UID) || pv.Spec.CSI == nil || pv.Spec.CSI.Driver != csi.Driver ||
				pv.Spec.PersistentVolumeReclaimPolicy != corev1.PersistentVolumeReclaimDelete ||
				pv.Status.Phase != corev1.VolumeBound || !slices.Contains(pv.Finalizers, csi.Finalizer) {
				t.Errorf("volume of %s: %s csi %+v reclaim %s phase %s finalizers %v", name, pv.Name, pv.Spec.CSI,
					pv.Spec.PersistentVolumeReclaimPolicy, pv.Status.Phase, pv.Finalizers)
			}
			pvs[pv.Spec.CSI.VolumeHandle] = pv
		}
		t.Logf("both claims Bound %s after the credentials were fixed", time.Since(began).Round(time.Millisecond))
		want := map[string]csi.Disk{}
		for id, pv := range pvs {
			size := pv.Spec.Capacity[corev1.ResourceStorage]
			want[id] = csi.Disk{ID: id, Name: pv.Name, Datastore: sim.DefaultDatastore, CapacityMB: size.Value() >> 20}
		}
		assertDisks(t, vc, want)
		if got := pvs[volumeHandle(t, cl.kube, "data")].Spec.Capacity[corev1.ResourceStorage]; got.Value() != 1500<<20 {
			t.Errorf("capacity of data: %s, want 1500Mi", got.String())
		}
	})
	if t.Failed() {
		return
	}

	t.Run("WaitForFirstConsumer: provisioned once a Pod is scheduled", func(t *testing.T) {
		began := time.Now()
		if _, err := cl.kube.StorageV1().StorageClasses().Create(ctx, storageClass("late", storagev1.VolumeBindingWaitForFirstConsumer), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		createClaim(t, cl.kube, "late", "late", "1Gi")
		time.Sleep(2 * time.Second)
		if pvc, err := cl.kube.CoreV1().PersistentVolumeClaims("default").Get(ctx, "late", metav1.GetOptions{}); err != nil || pvc.Spec.VolumeName != "" {
			t.Fatalf("claim late before any consumer: volume %q, %v; want none", pvc.Spec.VolumeName, err)
		}
		createConsumer(t, cl.kube, "late-consumer", "late")
		waitFor(t, time.Minute, "claim late Bound", func(ctx context.Context) (bool, error) {
			pvc, err := cl.kube.CoreV1().PersistentVolumeClaims("default").Get(ctx, "late", metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			return pvc.Status.Phase == corev1.ClaimBound, fmt.Errorf("phase %s, selected node %q", pvc.Status.Phase, pvc.Annotations["volume.kubernetes.io/selected-node"])
		})
		t.Logf("claim late Bound %s after its claim was created", time.Since(began).Round(time.Millisecond))
		if err := cl.kube.CoreV1().Pods("default").Delete(ctx, "late-consumer", metav1.DeleteOptions{GracePeriodSeconds: new(int64)}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("deleting the claims deletes volumes and disks", func(t *testing.T) {
		began := time.Now()
		for _, name := range []string{"early", "data", "late"} {
			if err := cl.kube.CoreV1().PersistentVolumeClaims("default").Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		waitFor(t, time.Minute, "volumes gone", func(ctx context.Context) (bool, error) {
			list, err := cl.kube.CoreV1().PersistentVolumes().List(ctx, metav1.ListOptions{})
			if err != nil {
				return false, err
			}
			return len(list.Items) == 0, fmt.Errorf("%d volumes left", len(list.Items))
		})
		t.Logf("volumes and disks deleted %s after their claims", time.Since(began).Round(time.Millisecond))
		assertDisks(t, vc, nil)
	})

	t.Run("Retain: a released volume keeps its disk", func(t *testing.T) {
		keep := storageClass("keep", storagev1.VolumeBindingImmediate)
		retain := corev1.PersistentVolumeReclaimRetain
		keep.ReclaimPolicy = &retain
		if _, err := cl.kube.StorageV1().StorageClasses().Create(ctx, keep, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		createClaim(t, cl.kube, "keep", "keep", "1Gi")
		var pvName string
		waitFor(t, time.Minute, "claim keep Bound", func(ctx context.Context) (bool, error) {
			pvc, err := cl.kube.CoreV1().PersistentVolumeClaims("default").Get(ctx, "keep", metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			pvName = pvc.Spec.VolumeName
			return pvc.Status.Phase == corev1.ClaimBound, fmt.Errorf("phase %s", pvc.Status.Phase)
		})
		if err := cl.kube.CoreV1().PersistentVolumeClaims("default").Delete(ctx, "keep", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		var pv *corev1.PersistentVolume
		waitFor(t, 30*time.Second, "volume of keep Released", func(ctx context.Context) (bool, error) {
			got, err := cl.kube.CoreV1().PersistentVolumes().Get(ctx, pvName, metav1.GetOptions{})
			pv = got
			return err == nil && got.Status.Phase == corev1.VolumeReleased, err
		})
		time.Sleep(3 * time.Second) // a few resync periods
		if _, err := cl.kube.CoreV1().PersistentVolumes().Get(ctx, pvName, metav1.GetOptions{}); err != nil {
			t.Errorf("retained volume: %v", err)
		}
		assertDisks(t, vc, map[string]csi.Disk{pv.Spec.CSI.VolumeHandle: {
			ID: pv.Spec.CSI.VolumeHandle, Name: pvName, Datastore: sim.DefaultDatastore, CapacityMB: 1024,
		}})
	})
}

// cluster is a booted cluster of the test.
type cluster struct {
	name       string
	kube       kubernetes.Interface
	kubeconfig string
}

// bootCluster clones and powers on the VM of a one-node cluster, waits for
// its Node and lets the simulated CPI initialise it, so that Pods run.
func bootCluster(t *testing.T, vc *vim25.Client, name string) *cluster {
	t.Helper()
	ctx := t.Context()
	c, err := nodetest.NewCluster(name, kubeVersion, nodeIP)
	if err != nil {
		t.Fatal(err)
	}
	hostname := name + "-cp-0"
	guestinfo, err := c.GuestInfo(c.InitNode(hostname, nodeIP))
	if err != nil {
		t.Fatal(err)
	}
	cloneAndPowerOn(t, vc, hostname, guestinfo)
	kube, err := c.AdminClient(c.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	if err := nodetest.WaitReady(ctx, kube, 2*time.Minute, kubeVersion, hostname); err != nil {
		t.Fatal(err)
	}
	kubeconfig, err := pki.AdminKubeconfig(name, "https://"+c.Endpoint, c.PKI.CA)
	if err != nil {
		t.Fatal(err)
	}
	cl := &cluster{name: name, kube: kube, kubeconfig: filepath.Join(t.TempDir(), "admin.conf")}
	if err := os.WriteFile(cl.kubeconfig, kubeconfig, 0o600); err != nil {
		t.Fatal(err)
	}
	labels := map[string]string{"k8s-app": "vsphere-cloud-controller-manager"}
	_, err = kube.AppsV1().DaemonSets("kube-system").Create(ctx, &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: "vsphere-cloud-controller-manager"},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					Tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
					HostNetwork: true,
					Containers: []corev1.Container{{
						Name: "vsphere-cloud-controller-manager", Image: "registry.k8s.io/cloud-pv-vsphere/cloud-provider-vsphere:v1.35.0",
					}},
				},
			},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// cloneAndPowerOn clones the template into a VM carrying guestinfo and
// powers it on, as provisioning does.
func cloneAndPowerOn(t *testing.T, vc *vim25.Client, name string, guestinfo map[string]string) {
	t.Helper()
	ctx := t.Context()
	finder := find.NewFinder(vc)
	dcObj, err := finder.Datacenter(ctx, sim.DefaultDatacenter)
	if err != nil {
		t.Fatal(err)
	}
	finder.SetDatacenter(dcObj)
	template, err := finder.VirtualMachine(ctx, sim.DefaultTemplate)
	if err != nil {
		t.Fatal(err)
	}
	folders, err := dcObj.Folders(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cc, err := finder.ClusterComputeResource(ctx, sim.DefaultCluster)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := cc.ResourcePool(ctx)
	if err != nil {
		t.Fatal(err)
	}
	extra := []types.BaseOptionValue{&types.OptionValue{Key: "disk.EnableUUID", Value: "TRUE"}}
	for _, k := range slices.Sorted(maps.Keys(guestinfo)) {
		extra = append(extra, &types.OptionValue{Key: k, Value: guestinfo[k]})
	}
	poolRef := pool.Reference()
	task, err := template.Clone(ctx, folders.VmFolder, name, types.VirtualMachineCloneSpec{
		Location: types.VirtualMachineRelocateSpec{Pool: &poolRef},
		Config:   &types.VirtualMachineConfigSpec{ExtraConfig: extra},
		PowerOn:  true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := task.WaitForResult(ctx); err != nil {
		t.Fatalf("clone %s: %v", name, err)
	}
}

// login logs in to the simulated vCenter with its certificate pinned.
func login(t *testing.T, vc *sim.VCenter) *vim25.Client {
	t.Helper()
	ctx := t.Context()
	sc := soap.NewClient(vc.URL(), false)
	sc.SetThumbprint(vc.URL().Host, vc.Thumbprint)
	c, err := vim25.NewClient(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	m := session.NewManager(c)
	if err := m.Login(ctx, vcUser(vc)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Logout(context.Background()) })
	return c
}

// csiValues are the chart values for the datacenter's vCenter, as
// activities/addons renders them, with the certificate pinned.
func csiValues(vc *sim.VCenter, password string) map[string]any {
	u := vc.URL()
	port, _ := strconv.Atoi(u.Port())
	return map[string]any{
		"config": map[string]any{
			"clusterID": "csi", "vcenter": u.Hostname(), "port": port, "insecureFlag": false,
			"thumbprint": vc.Thumbprint, "username": vc.Username, "password": password, "datacenters": sim.DefaultDatacenter,
		},
		"storageClass": map[string]any{"create": true, "default": true, "storagePolicyName": "vSAN Default Storage Policy"},
	}
}

// helm is a Helm action configuration for the driver's namespace, built
// from the cluster's kubeconfig file as a Helm client builds it.
func helm(t *testing.T, cl *cluster) *action.Configuration {
	t.Helper()
	settings := cli.New()
	settings.KubeConfig = cl.kubeconfig
	settings.SetNamespace(csi.Namespace)
	cfg := new(action.Configuration)
	if err := cfg.Init(settings.RESTClientGetter(), csi.Namespace, "secret", t.Logf); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// install installs the chart as release vsphere-csi.
func install(t *testing.T, cl *cluster, ch *chart.Chart, vals map[string]any) {
	t.Helper()
	in := action.NewInstall(helm(t, cl))
	in.ReleaseName, in.Namespace, in.CreateNamespace, in.Timeout = "vsphere-csi", csi.Namespace, true, time.Minute
	if _, err := in.RunWithContext(t.Context(), ch, vals); err != nil {
		t.Fatalf("install vsphere-csi: %v", err)
	}
}

// upgrade upgrades release vsphere-csi to vals.
func upgrade(t *testing.T, cl *cluster, ch *chart.Chart, vals map[string]any) {
	t.Helper()
	up := action.NewUpgrade(helm(t, cl))
	up.Namespace, up.Timeout = csi.Namespace, time.Minute
	if _, err := up.RunWithContext(t.Context(), "vsphere-csi", ch, vals); err != nil {
		t.Fatalf("upgrade vsphere-csi: %v", err)
	}
}

// storageClass is a class of the driver with reclaim policy Delete.
func storageClass(name string, mode storagev1.VolumeBindingMode) *storagev1.StorageClass {
	reclaim := corev1.PersistentVolumeReclaimDelete
	return &storagev1.StorageClass{
		ObjectMeta:        metav1.ObjectMeta{Name: name},
		Provisioner:       csi.Driver,
		ReclaimPolicy:     &reclaim,
		VolumeBindingMode: &mode,
		Parameters:        map[string]string{"csi.storage.k8s.io/fstype": "ext4"},
	}
}

// createClaim creates claim name in namespace default; an empty class
// means the cluster's default class.
func createClaim(t *testing.T, kube kubernetes.Interface, name, class, size string) {
	t.Helper()
	pvc := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(size)}},
		},
	}
	if class != "" {
		pvc.Spec.StorageClassName = &class
	}
	if _, err := kube.CoreV1().PersistentVolumeClaims("default").Create(t.Context(), pvc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// createConsumer creates a Pod that mounts claim, tolerating the control
// plane's taint, so that the scheduler selects a node for the claim.
func createConsumer(t *testing.T, kube kubernetes.Interface, name, claim string) {
	t.Helper()
	_, err := kube.CoreV1().Pods("default").Create(t.Context(), &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PodSpec{
			Tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
			Containers:  []corev1.Container{{Name: "app", Image: "registry.k8s.io/pause:3.10", VolumeMounts: []corev1.VolumeMount{{Name: "data", MountPath: "/data"}}}},
			Volumes: []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{
				PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim},
			}}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
}

// assertPending checks that a claim is Pending with no volume.
func assertPending(t *testing.T, kube kubernetes.Interface, name string) {
	t.Helper()
	pvc, err := kube.CoreV1().PersistentVolumeClaims("default").Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if pvc.Status.Phase != corev1.ClaimPending || pvc.Spec.VolumeName != "" {
		t.Errorf("claim %s: phase %s volume %q, want Pending without a volume", name, pvc.Status.Phase, pvc.Spec.VolumeName)
	}
	list, err := kube.CoreV1().PersistentVolumes().List(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 0 {
		t.Errorf("%d volumes exist, want none", len(list.Items))
	}
}

// assertDisks checks the First Class Disks of the vCenter against want, by id.
func assertDisks(t *testing.T, vc *vim25.Client, want map[string]csi.Disk) {
	t.Helper()
	disks, err := csi.ListDisks(t.Context(), vc)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]csi.Disk{}
	for _, d := range disks {
		got[d.ID] = d
	}
	if !maps.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
		t.Errorf("First Class Disks %+v, want %+v", got, want)
	}
}

// claimEvent returns the message of the latest event of reason on a claim.
func claimEvent(ctx context.Context, t *testing.T, kube kubernetes.Interface, claim, reason string) string {
	t.Helper()
	list, err := kube.CoreV1().Events("default").List(ctx, metav1.ListOptions{FieldSelector: fields.Set{
		"involvedObject.kind": "PersistentVolumeClaim", "involvedObject.name": claim, "reason": reason,
	}.String()})
	if err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
	msg := ""
	for _, e := range list.Items {
		msg = e.Message
	}
	return msg
}

// volumeHandle returns the disk id of a bound claim.
func volumeHandle(t *testing.T, kube kubernetes.Interface, claim string) string {
	t.Helper()
	pvc, err := kube.CoreV1().PersistentVolumeClaims("default").Get(t.Context(), claim, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pv, err := kube.CoreV1().PersistentVolumes().Get(t.Context(), pvc.Spec.VolumeName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return pv.Spec.CSI.VolumeHandle
}

// waitFor fails the test if cond does not hold within timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func(ctx context.Context) (bool, error)) {
	t.Helper()
	if err := nodetest.Eventually(t.Context(), timeout, what, cond); err != nil {
		t.Fatal(err)
	}
}

// vcUser is the vCenter's user and password.
func vcUser(vc *sim.VCenter) *url.Userinfo { return url.UserPassword(vc.Username, vc.Password) }
