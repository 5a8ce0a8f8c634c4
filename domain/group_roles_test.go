package domain

import "testing"

func TestParseGroupRoles(t *testing.T) {
	g, err := ParseGroupRoles("platform-admins=*:admin, team-a=team-a:operator team-a=team-b:viewer,ops=team-a:admin")
	if err != nil {
		t.Fatal(err)
	}
	got := g.Grant([]string{"team-a"})
	if len(got) != 2 || got["team-a"] != RoleOperator || got["team-b"] != RoleViewer {
		t.Errorf("team-a grants %v", got)
	}
	got = g.Grant([]string{"team-a", "ops", "platform-admins"})
	if got["team-a"] != RoleAdmin || got[AllowAll] != RoleAdmin || HighestRole(got) != RoleAdmin {
		t.Errorf("team-a, ops and platform-admins grant %v", got)
	}
	if got := g.Grant([]string{"nobody"}); len(got) != 0 {
		t.Errorf("an unmapped group grants %v", got)
	}
	if back, err := ParseGroupRoles(g.String()); err != nil || back.String() != g.String() {
		t.Errorf("round trip: %q %v", back, err)
	}
	for _, bad := range []string{"team-a", "team-a=team-a", "=x:admin", "a=b:root", "a=Bad_Name:viewer"} {
		if _, err := ParseGroupRoles(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
