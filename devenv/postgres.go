package devenv

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// Postgres is a private Postgres server whose data lives in the state directory.
type Postgres struct {
	dataDir string
	bin     string
	port    int
	runAs   string // the user the server runs as when we are root ("" otherwise)
	logger  *slog.Logger
}

// pgBinDir finds the directory of the installed Postgres server binaries.
func pgBinDir() (string, error) {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			return filepath.Dir(real), nil
		}
		return filepath.Dir(p), nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	sort.Strings(matches)
	if len(matches) == 0 {
		return "", errors.New("no Postgres server binaries found (install Debian's postgresql package, or set DATABASE_URL)")
	}
	return filepath.Dir(matches[len(matches)-1]), nil
}

// StartPostgres initializes (once) and starts a private Postgres in dir on a free
// loopback port. Postgres refuses to run as root; as root it runs as the postgres user.
func StartPostgres(ctx context.Context, dir string, logger *slog.Logger) (*Postgres, error) {
	bin, err := pgBinDir()
	if err != nil {
		return nil, err
	}
	p := &Postgres{dataDir: filepath.Join(dir, "pgdata"), bin: bin, logger: logger}
	if os.Geteuid() == 0 {
		p.runAs = "postgres"
		if _, err := user.Lookup(p.runAs); err != nil {
			return nil, fmt.Errorf("running as root, Postgres needs the %q user: %w", p.runAs, err)
		}
	}
	if p.runAs != "" {
		if err := p.run(ctx, "test", "-x", dir); err != nil {
			return nil, fmt.Errorf("the %s user cannot enter %s (make it and its parents world-executable, or set DATABASE_URL)", p.runAs, dir)
		}
	}
	if _, err := os.Stat(filepath.Join(p.dataDir, "PG_VERSION")); err != nil {
		if err := p.initdb(ctx); err != nil {
			return nil, err
		}
	}
	if p.port, err = freePort(); err != nil {
		return nil, err
	}
	// A server left running by a killed dev process is stopped first.
	_ = p.pgctl(ctx, "stop", "-m", "fast")
	logFile := filepath.Join(p.dataDir, "server.log")
	opts := fmt.Sprintf("-h 127.0.0.1 -p %d -k %s", p.port, p.dataDir)
	if err := p.pgctl(ctx, "start", "-w", "-t", "60", "-l", logFile, "-o", opts); err != nil {
		return nil, fmt.Errorf("start postgres (log in %s): %w", logFile, err)
	}
	if err := p.createDatabase(ctx); err != nil {
		p.Stop()
		return nil, err
	}
	return p, nil
}

func (p *Postgres) initdb(ctx context.Context) error {
	if err := os.MkdirAll(p.dataDir, 0o700); err != nil {
		return err
	}
	if p.runAs != "" {
		if err := chownTo(p.dataDir, p.runAs); err != nil {
			return err
		}
	}
	p.logger.Info("initializing a private Postgres", "dir", p.dataDir)
	return p.run(ctx, filepath.Join(p.bin, "initdb"), "-D", p.dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-instructions")
}

func (p *Postgres) createDatabase(ctx context.Context) error {
	admin := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", p.port)
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return fmt.Errorf("connect to private postgres: %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'clusterwright')`).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		if _, err := conn.Exec(ctx, `CREATE DATABASE clusterwright`); err != nil {
			return fmt.Errorf("create database: %w", err)
		}
	}
	return nil
}

// URL is the connection string of the clusterwright database.
func (p *Postgres) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/clusterwright?sslmode=disable", p.port)
}

// Stop shuts the server down.
func (p *Postgres) Stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.pgctl(ctx, "stop", "-m", "fast", "-w"); err != nil {
		p.logger.Warn("stop postgres", "error", err)
	}
}

func (p *Postgres) pgctl(ctx context.Context, args ...string) error {
	return p.run(ctx, filepath.Join(p.bin, "pg_ctl"), append([]string{"-D", p.dataDir}, args...)...)
}

// run runs a Postgres tool, as p.runAs when set.
func (p *Postgres) run(ctx context.Context, name string, args ...string) error {
	if p.runAs != "" {
		args = append([]string{"-u", p.runAs, "--", name}, args...)
		name = "runuser"
	}
	cmd := exec.CommandContext(ctx, name, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", filepath.Base(name), err, lastLines(out))
	}
	return nil
}

func chownTo(path, name string) error {
	u, err := user.Lookup(name)
	if err != nil {
		return err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return os.Chown(path, uid, gid)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func lastLines(b []byte) string {
	const max = 600
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return string(b)
}
