package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/clusterwright/clusterwright/app"
	"github.com/clusterwright/clusterwright/devenv"
	"github.com/clusterwright/clusterwright/domain"
	"github.com/clusterwright/clusterwright/migrations"
	"github.com/clusterwright/clusterwright/sim"
)

// parse binds the command's settings and parses args.
func parse(c *cli, name string, args []string, extra func(fs *flag.FlagSet)) (app.Config, *flag.FlagSet, error) {
	var cfg app.Config
	fs := flag.NewFlagSet("clusterwright "+name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	for _, cmd := range commands() {
		if cmd.name == name {
			cfg.Bind(fs, cmd.flags...)
		}
	}
	if extra != nil {
		extra(fs)
	}
	err := fs.Parse(args)
	return cfg, fs, err
}

// startProcess parses the command's settings, opens the app and starts its worker. The
// returned stop function stops the worker and closes the app.
func startProcess(ctx context.Context, c *cli, name string, args []string, migrate bool) (*app.App, func(), error) {
	cfg, _, err := parse(c, name, args, nil)
	if err != nil {
		return nil, nil, err
	}
	logger, err := cfg.Logger()
	if err != nil {
		return nil, nil, err
	}
	a, err := app.Open(ctx, cfg, logger, migrate)
	if err != nil {
		return nil, nil, err
	}
	w, err := a.NewWorker()
	if err != nil {
		a.Close()
		return nil, nil, err
	}
	if err := w.Start(); err != nil {
		a.Close()
		return nil, nil, fmt.Errorf("start worker: %w", err)
	}
	return a, func() { w.Stop(); a.Close() }, nil
}

func runServe(ctx context.Context, c *cli, args []string) error {
	a, stop, err := startProcess(ctx, c, "serve", args, true)
	if err != nil {
		return err
	}
	defer stop()
	a.ReconcileSchedules(ctx)
	srv, err := a.Config.NewHTTPServer(a.API().Handler(), app.DefaultHTTPTimeouts, a.Logger)
	if err != nil {
		return err
	}
	return srv.Run(ctx, 15*time.Second, a.Logger)
}

func runWorker(ctx context.Context, c *cli, args []string) error {
	a, stop, err := startProcess(ctx, c, "worker", args, false)
	if err != nil {
		return err
	}
	defer stop()
	a.Logger.Info("worker running")
	<-ctx.Done()
	return nil
}

func runMigrate(ctx context.Context, c *cli, args []string) error {
	cfg, fs, err := parse(c, "migrate", args, nil)
	if err != nil {
		return err
	}
	if cfg.DatabaseURL == "" {
		return errors.New("database-url ($DATABASE_URL) is required")
	}
	rest := fs.Args()
	action := "up"
	if len(rest) > 0 {
		action = rest[0]
	}
	switch action {
	case "up":
		err = migrations.Up(ctx, cfg.DatabaseURL)
	case "down":
		if len(rest) != 2 {
			return errors.New("usage: clusterwright migrate down VERSION")
		}
		v, perr := strconv.Atoi(rest[1])
		if perr != nil || v < 0 {
			return fmt.Errorf("version %q: want a whole number", rest[1])
		}
		err = migrations.To(ctx, cfg.DatabaseURL, int32(v))
	case "version":
	default:
		return fmt.Errorf("unknown migrate action %q (want up, down N or version)", action)
	}
	if err != nil {
		return err
	}
	v, err := migrations.Current(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "database at version %d of %d\n", v, migrations.Latest())
	return nil
}

func runDev(ctx context.Context, c *cli, args []string) error {
	faults := sim.NewFaults()
	cfg, fs, err := parse(c, "dev", args, func(fs *flag.FlagSet) {
		fs.Func("sim-fault", "make the simulator fail a call on purpose, KIND:N or KIND:vm=NAME (repeatable; kinds: "+
			strings.Join(sim.FaultKinds(), ", ")+")", func(s string) error {
			f, err := sim.ParseFault(s)
			if err != nil {
				return err
			}
			return faults.Add(f)
		})
	})
	if err != nil {
		return err
	}
	logger, err := cfg.Logger()
	if err != nil {
		return err
	}
	if cfg.TemporalAddress == "127.0.0.1:7233" { // the default means: embed one
		cfg.TemporalAddress = "embedded"
	}
	opts := devenv.Options{Faults: faults, FromEnvironment: cfg.FromEnvironment(fs)}
	opts.Ready = func(env map[string]string) {
		fmt.Fprintf(c.stdout, "\nClusterwright is running.\n  portal: %s/\n  API:    %s/api/v1\n  env:    %s/env (source it for curl, cwctl and govc)\n",
			env["CLUSTERWRIGHT_URL"], env["CLUSTERWRIGHT_URL"], cfg.StateDir)
		if env["CLUSTERWRIGHT_SSO_LOGIN_URL"] != "" {
			fmt.Fprintf(c.stdout, "  sign-in: %s (\"Sign in with SSO\" on the portal; cwctl login) as %s;\n"+
				"           their passwords are in the env file ($CLUSTERWRIGHT_SSO_PASSWORD_ALICE, ...)\n",
				env["CLUSTERWRIGHT_SSO_LOGIN_URL"], env["CLUSTERWRIGHT_SSO_USERS"])
		}
		fmt.Fprintln(c.stdout, "Press Ctrl-C to stop.")
	}
	return devenv.Run(ctx, cfg, logger, opts)
}

func runToken(ctx context.Context, c *cli, args []string) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New("usage: clusterwright token create --name NAME --role admin|operator|viewer")
	}
	var in domain.TokenInput
	cfg, _, err := parse(c, "token", args[1:], func(fs *flag.FlagSet) {
		fs.StringVar(&in.Name, "name", "", "token name")
		fs.StringVar(&in.Role, "role", "", "admin, operator or viewer")
	})
	if err != nil {
		return err
	}
	if err := in.Validate(); err != nil {
		return err
	}
	logger, err := cfg.Logger()
	if err != nil {
		return err
	}
	store, closeStore, err := app.OpenStore(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer closeStore()
	secret, _, err := store.CreateToken(ctx, in.Name, domain.Role(in.Role), "cli")
	if err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, secret)
	return nil
}
