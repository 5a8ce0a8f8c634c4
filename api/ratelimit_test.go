package api_test

import (
	"testing"
	"time"

	"github.com/clusterwright/clusterwright/api"
)

func TestParseRateLimit(t *testing.T) {
	for in, want := range map[string]api.RateLimit{
		"":       {},
		"0":      {},
		"0/m":    {},
		"60/m":   {N: 60, Period: time.Minute},
		"5/s":    {N: 5, Period: time.Second},
		"100/h":  {N: 100, Period: time.Hour},
		"10/30s": {N: 10, Period: 30 * time.Second},
	} {
		got, err := api.ParseRateLimit(in)
		if err != nil || got != want {
			t.Errorf("ParseRateLimit(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"60", "x/m", "-1/m", "60/d", "60/-1s"} {
		if _, err := api.ParseRateLimit(bad); err == nil {
			t.Errorf("ParseRateLimit(%q) accepted", bad)
		}
	}
}
