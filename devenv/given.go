package devenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/clusterwright/clusterwright/app"
)

// reachTimeout bounds the check that a service dev was given answers.
const reachTimeout = 3 * time.Second

// checkGivenServices makes sure that the Postgres and the Temporal server dev was told to
// use, instead of starting its own, answer. A shell that sourced the env file of an earlier
// run still has its DATABASE_URL and TEMPORAL_ADDRESS, which point at servers that run no
// more; the error says which setting came from the environment, that it is unreachable,
// and what to do.
func checkGivenServices(ctx context.Context, cfg app.Config, fromEnv []string) error {
	var problems []string
	if cfg.DatabaseURL != "" {
		addr, err := postgresAddr(cfg.DatabaseURL)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s is not a Postgres URL", settingSource("DATABASE_URL", "database-url", fromEnv)))
		} else if addr != "" && !reachable(ctx, addr) {
			problems = append(problems, fmt.Sprintf("%s points at %s, which is unreachable", settingSource("DATABASE_URL", "database-url", fromEnv), addr))
		}
	}
	if a := cfg.TemporalAddress; a != "" && a != "embedded" && !reachable(ctx, a) {
		problems = append(problems, fmt.Sprintf("%s (%s) is unreachable", settingSource("TEMPORAL_ADDRESS", "temporal-address", fromEnv), a))
	}
	if len(problems) == 0 {
		return nil
	}
	msg := strings.Join(problems, "; ")
	if slices.Contains(fromEnv, "DATABASE_URL") || slices.Contains(fromEnv, "TEMPORAL_ADDRESS") {
		msg += ". This shell probably sourced the env file of an earlier `clusterwright dev`, whose servers are gone: " +
			"run `unset DATABASE_URL TEMPORAL_ADDRESS` (when they are unset, dev runs its own Postgres and Temporal), " +
			"and source the env file only after dev has started (set -a; . .clusterwright/env; set +a)"
	}
	return errors.New(msg)
}

// settingSource says where a setting's value came from: its environment variable or its flag.
func settingSource(env, flag string, fromEnv []string) string {
	if slices.Contains(fromEnv, env) {
		return env + " from the environment"
	}
	return "--" + flag
}

// postgresAddr is the host:port a Postgres URL connects to, without the user name or
// password (they must not reach an error), or "" for a Unix socket.
func postgresAddr(databaseURL string) (string, error) {
	pc, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(pc.Host, "/") {
		return "", nil
	}
	return net.JoinHostPort(pc.Host, strconv.Itoa(int(pc.Port))), nil
}

// reachable reports whether a TCP connection to addr can be made.
func reachable(ctx context.Context, addr string) bool {
	ctx, cancel := context.WithTimeout(ctx, reachTimeout)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}
