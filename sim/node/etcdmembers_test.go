package node

import (
	"encoding/json"
	"testing"
)

func TestEtcdMemberJSON(t *testing.T) {
	// The JSON gateway writes 64-bit IDs as strings.
	var out struct{ Members []etcdMember }
	body := `{"members":[{"ID":"12857181094938046718","name":"cp-0","peerURLs":["https://127.20.3.10:2380"],"clientURLs":["https://127.20.3.10:2379"]},
		{"ID":9372538179322589801,"peerURLs":["https://127.20.3.11:2380"],"isLearner":true}]}`
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Members) != 2 || out.Members[0].ID != 12857181094938046718 || !out.Members[1].IsLearner {
		t.Fatalf("members %+v", out.Members)
	}
	m, ok := memberWithPeer(out.Members, "https://127.20.3.11:2380")
	if !ok || m.ID != 9372538179322589801 {
		t.Errorf("memberWithPeer: %+v, %v", m, ok)
	}
	b, err := json.Marshal(map[string]any{"ID": m.ID})
	if err != nil || string(b) != `{"ID":"9372538179322589801"}` {
		t.Errorf("promote request %s, %v", b, err)
	}
}
