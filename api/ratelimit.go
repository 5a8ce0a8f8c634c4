package api

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// RateLimit is how many audited (mutating) requests one token may make per Period: a
// burst of N, refilled evenly over the period. The zero value is no limit.
type RateLimit struct {
	N      int
	Period time.Duration
}

// ParseRateLimit parses "N/s", "N/m" or "N/h" (also "N/1m30s" with any Go duration);
// "", "0" and "0/..." are no limit.
func ParseRateLimit(s string) (RateLimit, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		return RateLimit{}, nil
	}
	num, per, ok := strings.Cut(s, "/")
	n, err := strconv.Atoi(num)
	if !ok || err != nil || n < 0 {
		return RateLimit{}, fmt.Errorf("api-rate-limit %q: want N/s, N/m or N/h, or 0 for no limit", s)
	}
	var d time.Duration
	switch per {
	case "s":
		d = time.Second
	case "m":
		d = time.Minute
	case "h":
		d = time.Hour
	default:
		d, err = time.ParseDuration(per)
		if err != nil || d <= 0 {
			return RateLimit{}, fmt.Errorf("api-rate-limit %q: the period must be s, m, h or a Go duration", s)
		}
	}
	if n == 0 {
		return RateLimit{}, nil
	}
	return RateLimit{N: n, Period: d}, nil
}

// String is the limit as ParseRateLimit reads it.
func (l RateLimit) String() string {
	if l.N == 0 {
		return "0"
	}
	return fmt.Sprintf("%d/%s", l.N, l.Period)
}

// tokenLimiter keeps one token bucket per token name.
type tokenLimiter struct {
	limit RateLimit

	mu        sync.Mutex
	buckets   map[string]*rate.Limiter
	lastSweep time.Time
}

func newTokenLimiter(l RateLimit) *tokenLimiter {
	if l.N <= 0 {
		return nil
	}
	return &tokenLimiter{limit: l, buckets: map[string]*rate.Limiter{}, lastSweep: time.Now()}
}

// allow takes one request of name from its bucket; when the bucket is empty it says
// how long until there is one.
func (t *tokenLimiter) allow(name string) (bool, time.Duration) {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sweep(now)
	b := t.buckets[name]
	if b == nil {
		b = rate.NewLimiter(rate.Limit(float64(t.limit.N)/t.limit.Period.Seconds()), t.limit.N)
		t.buckets[name] = b
	}
	if b.AllowN(now, 1) {
		return true, 0
	}
	r := b.ReserveN(now, 1)
	wait := r.DelayFrom(now)
	r.CancelAt(now)
	return false, wait
}

// sweep forgets full buckets (tokens idle for a whole period) once a period, so the map
// holds only tokens that made requests lately.
func (t *tokenLimiter) sweep(now time.Time) {
	if now.Sub(t.lastSweep) < t.limit.Period {
		return
	}
	t.lastSweep = now
	for name, b := range t.buckets {
		if b.TokensAt(now) >= float64(t.limit.N) {
			delete(t.buckets, name)
		}
	}
}

// rateLimited answers 429 with Retry-After when the caller's token has used its audited
// requests; the caller (authorize's chain) audits the reply like any other.
func (a *API) rateLimited(w http.ResponseWriter, r *http.Request) bool {
	if a.limiter == nil {
		return false
	}
	ok, wait := a.limiter.allow(actorName(r.Context()))
	if ok {
		return false
	}
	secs := int(math.Ceil(wait.Seconds()))
	if secs < 1 {
		secs = 1
	}
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	a.writeProblem(w, r, Problem{Type: problemBase + "rate-limited", Status: http.StatusTooManyRequests,
		Detail: fmt.Sprintf("this token may make %s changing requests; retry after %d s", a.limiter.limit, secs)})
	return true
}
