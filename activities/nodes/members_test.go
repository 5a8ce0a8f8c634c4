package nodes

import (
	"errors"
	"strings"
	"testing"

	"go.temporal.io/sdk/temporal"
)

// TestParseMemberList parses etcdctl member list -w json, with IDs as
// numbers (beyond float64's precision) and as --hex strings.
func TestParseMemberList(t *testing.T) {
	out := `{"header":{"cluster_id":14841639068965178418,"member_id":10276657743932975437,"raft_term":2},"members":[
	  {"ID":10276657743932975437,"name":"cp-0","peerURLs":["https://127.20.78.10:2380"],"clientURLs":["https://127.20.78.10:2379"]},
	  {"ID":1545213411296236512,"peerURLs":["https://127.20.78.12:2380"],"isLearner":true}]}`
	self, members, err := parseMemberList([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if self != "8e9e05c52164694d" || len(members) != 2 || members[0].ID != self || members[0].Name != "cp-0" || members[0].Learner ||
		members[0].ClientURLs[0] != "https://127.20.78.10:2379" || members[1].ID != "1571b369227b53e0" || !members[1].Learner || members[1].Name != "" {
		t.Errorf("self %s, members %+v", self, members)
	}
	hex := `{"header":{"member_id":"8e9e05c52164694d"},"members":[{"ID":"8e9e05c52164694d","name":"cp-0"}]}`
	if self, members, err := parseMemberList([]byte(hex)); err != nil || self != "8e9e05c52164694d" || members[0].ID != self {
		t.Errorf("--hex: %s, %+v, %v", self, members, err)
	}
	for _, bad := range []string{"", "Error: context deadline exceeded", `{"members":[]}`, `{"header":{},"members":[{"ID":1}]}`} {
		if _, _, err := parseMemberList([]byte(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	m, found, err := findMember(members, "1571B369227B53E0")
	if err != nil || !found || m.ID != "1571b369227b53e0" {
		t.Errorf("by ID: %+v, %v, %v", m, found, err)
	}
	if _, found, err := findMember(members, "cp-9"); found || err != nil {
		t.Errorf("absent member found: %v, %v", found, err)
	}
}

// TestCheckQuorumAfterRemoval checks which removals keep a healthy quorum.
func TestCheckQuorumAfterRemoval(t *testing.T) {
	member := func(id string, learner bool) EtcdMember {
		return EtcdMember{ID: id, Name: "cp-" + id, ClientURLs: []string{"https://" + id + ":2379"}, Learner: learner}
	}
	a, b, c, d, l := member("a", false), member("b", false), member("c", false), member("d", false), member("l", true)
	up := func(ids ...string) map[string]bool {
		h := map[string]bool{}
		for _, id := range ids {
			h["https://"+id+":2379"] = true
		}
		return h
	}
	for _, tc := range []struct {
		name    string
		members []EtcdMember
		target  EtcdMember
		healthy map[string]bool
		ok      bool
	}{
		{"two healthy, remove one", []EtcdMember{a, b}, b, up("a", "b"), true},
		{"three, remove the dead one", []EtcdMember{a, b, c}, c, up("a", "b"), true},
		{"three, one dead, remove a healthy one", []EtcdMember{a, b, c}, b, up("a", "b"), false},
		{"replacement: four, remove the old", []EtcdMember{a, b, c, d}, c, up("a", "b", "d"), true},
		{"four, two dead, remove a healthy one", []EtcdMember{a, b, c, d}, b, up("a", "b"), false},
		{"a learner does not vote", []EtcdMember{a, l}, a, up("a", "l"), false},
		{"removing a learner", []EtcdMember{a, b, l}, l, up("a", "b"), true},
		{"a cluster without quorum", []EtcdMember{a, b, c}, c, up("a"), false},
	} {
		err := checkQuorumAfterRemoval(tc.members, tc.target, tc.healthy)
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v, want ok %v", tc.name, err, tc.ok)
		}
	}
	err := checkQuorumAfterRemoval([]EtcdMember{a, b, c}, b, up("a", "b"))
	if err == nil || !strings.Contains(err.Error(), "2 voting members would remain, 1 of them healthy (unhealthy: cp-c), fewer than their quorum of 2") {
		t.Errorf("message: %v", err)
	}
}

// TestKubeadmRefusal picks kubeadm's version policy refusals (of current and
// older kubeadm releases, and the simulator's) out of a failed command's
// output, and nothing else.
func TestKubeadmRefusal(t *testing.T) {
	for _, tc := range []struct{ output, want string }{
		{"[upgrade/versions] kubeadm version: v1.36.5\n" +
			"error execution phase preflight: the version argument is invalid due to these fatal errors:\n\n" +
			"\t- Specified version to upgrade to \"v1.38.0\" is too high; kubeadm can upgrade only 1 minor version at a time\n\n" +
			"Please fix the misalignments highlighted above and try upgrading again\nTo see the stack trace of this error execute with --v=5 or higher\n",
			"error execution phase preflight: the version argument is invalid due to these fatal errors:\n" +
				"- Specified version to upgrade to \"v1.38.0\" is too high; kubeadm can upgrade only 1 minor version at a time\n" +
				"Please fix the misalignments highlighted above and try upgrading again"},
		{"[upgrade/version] FATAL: the --version argument is invalid due to these errors:\n\n\t- Kubeadm version v1.37.2 can only be used to upgrade to Kubernetes version 1.37\n\nCan be bypassed if you pass the --force flag\n",
			"[upgrade/version] FATAL: the --version argument is invalid due to these errors:\n- Kubeadm version v1.37.2 can only be used to upgrade to Kubernetes version 1.37\nCan be bypassed if you pass the --force flag"},
		{"[upgrade/version] FATAL: the kubeadm version \"v1.36.5\" is older than the cluster version \"v1.37.2\".\n",
			"[upgrade/version] FATAL: the kubeadm version \"v1.36.5\" is older than the cluster version \"v1.37.2\"."},
		{"[upgrade/control-plane] FATAL: couldn't upgrade control plane. kubeadm has tried to recover everything into the earlier state\n", ""},
		{"unable to fetch the kubeadm-config ConfigMap: net/http: TLS handshake timeout\n", ""},
	} {
		err := &CommandError{Command: "sudo kubeadm upgrade apply -y v1.38.0", ExitStatus: 1, Output: tc.output}
		if got := kubeadmRefusal(err); got != tc.want {
			t.Errorf("refusal of %q:\n%q\nwant\n%q", tc.output, got, tc.want)
		}
	}
	if got := kubeadmRefusal(errors.New("[upgrade/version] FATAL")); got != "" {
		t.Errorf("not a command's error: %q", got)
	}
}

// TestPackages checks the package versions, the apt source's rewrite and
// apt's refusal of a repository.
func TestPackages(t *testing.T) {
	for deb, want := range map[string]string{"1.37.2-1.1": "v1.37.2", "1:1.36.5-2.1": "v1.36.5", "1.38.0~rc.1-1.1": "v1.38.0-rc.1"} {
		if got := kubeVersionOfPackage(deb); got != want {
			t.Errorf("%s: %s, want %s", deb, got, want)
		}
	}
	if packagePattern("v1.37.2") != "1.37.2-*" || minorOf("v1.37.2") != "v1.37" {
		t.Error("package pattern or minor")
	}
	list := "# the install guide's\ndeb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v1.36/deb/ /\n"
	if got := pkgsRepo.ReplaceAllString(list, "${1}v1.37${3}"); got != strings.Replace(list, "v1.36", "v1.37", 1) {
		t.Errorf("rewritten source: %q", got)
	}
	refused := "Err:1 https://pkgs.k8s.io/core:/stable:/v1.99/deb  InRelease\n  403  Forbidden [IP: 146.75.118.132 443]\n" +
		"E: Failed to fetch https://pkgs.k8s.io/core:/stable:/v1.99/deb/InRelease  403  Forbidden [IP: 146.75.118.132 443]\n"
	if !repositoryRefused(refused, "v1.99") || repositoryRefused(refused, "v1.37") ||
		repositoryRefused("E: Failed to fetch https://pkgs.k8s.io/core:/stable:/v1.99/deb/InRelease  Temporary failure resolving 'pkgs.k8s.io'\n", "v1.99") {
		t.Error("repositoryRefused")
	}
	if got := aptErrors(refused); got != "E: Failed to fetch https://pkgs.k8s.io/core:/stable:/v1.99/deb/InRelease  403  Forbidden [IP: 146.75.118.132 443]" {
		t.Errorf("apt errors: %q", got)
	}
	manifest := "spec:\n  containers:\n  - command:\n    - kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.36.5\n    imagePullPolicy: IfNotPresent\n"
	if m := apiServerImage.FindStringSubmatch(manifest); m == nil || m[1] != "v1.36.5" {
		t.Errorf("image version: %v", m)
	}
}

// TestUpgradeNodeInput checks the input refused before any login.
func TestUpgradeNodeInput(t *testing.T) {
	node := NodeRef{ClusterID: "c1", Node: "cp-0", Address: "127.0.0.1"}
	for _, in := range []UpgradeNodeInput{
		{Node: node, Version: "1.37.2"}, {Node: node, Version: "v1.37"}, {Node: node, Version: "v1.37.2-rc.1"},
		{Node: node, Version: "v1.37.2", Apply: true}, {Node: NodeRef{Node: "cp-0"}, Version: "v1.37.2"},
	} {
		var appErr *temporal.ApplicationError
		if err := in.check(); !errors.As(err, &appErr) || appErr.Type() != ErrTypeInvalidInput || !appErr.NonRetryable() {
			t.Errorf("%+v: %v", in, err)
		}
	}
	if err := (UpgradeNodeInput{Node: node, Version: "v1.37.2", Apply: true, ControlPlane: true}).check(); err != nil {
		t.Error(err)
	}
}
