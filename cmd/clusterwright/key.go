package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"text/tabwriter"

	"github.com/clusterwright/clusterwright/app"
	"github.com/clusterwright/clusterwright/inventory"
	"github.com/clusterwright/clusterwright/secrets"
)

const keyUsage = "usage: clusterwright key generate FILE | key rotate --new-key-file FILE [flags] | key status [flags]"

// keyProgressEvery is how many rows `key rotate` works through between progress lines.
const keyProgressEvery = 500

func runKey(ctx context.Context, c *cli, args []string) error {
	if len(args) == 0 {
		return errors.New(keyUsage)
	}
	switch args[0] {
	case "generate":
		return runKeyGenerate(c, args[1:])
	case "rotate":
		return runKeyRotate(ctx, c, args[1:])
	case "status":
		return runKeyStatus(ctx, c, args[1:])
	}
	return fmt.Errorf("unknown key action %q; %s", args[0], keyUsage)
}

// runKeyGenerate writes a new random master key to a file that does not exist yet
// (mode 0600) and prints its id; it never prints a key and never overwrites a file.
func runKeyGenerate(c *cli, args []string) error {
	if len(args) != 1 || args[0] == "" || args[0][0] == '-' {
		return errors.New("usage: clusterwright key generate FILE")
	}
	file := args[0]
	if _, err := os.Stat(file); err == nil {
		return fmt.Errorf("%s exists; a key file is never overwritten (choose another name)", file)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("key file %s: %w", file, err)
	}
	key, err := secrets.GenerateKeyFile(file)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "wrote a new master key to %s (mode 0600), key id %s\n", file, secrets.KeyID(key))
	return nil
}

func runKeyRotate(ctx context.Context, c *cli, args []string) error {
	var newFile string
	cfg, _, err := parse(c, "key", args, func(fs *flag.FlagSet) {
		fs.StringVar(&newFile, "new-key-file", "", "file holding the new master key (make one with `clusterwright key generate FILE`)")
	})
	if err != nil {
		return err
	}
	if newFile == "" {
		return errors.New("key rotate: --new-key-file is required")
	}
	newKey, err := secrets.LoadKey("", newFile)
	if err != nil {
		return fmt.Errorf("new key: %w", err)
	}
	logger, err := cfg.Logger()
	if err != nil {
		return err
	}
	current, err := cfg.MasterKeys()
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "re-sealing every secret of the inventory under key %s (from %v)\n", secrets.KeyID(newKey), current.IDs())
	seen := 0
	counts, err := app.RotateMasterKey(ctx, cfg, newKey, logger, func(rc inventory.ResealCount) {
		if seen++; seen%keyProgressEvery == 0 {
			fmt.Fprintf(c.stdout, "  %s: %d re-sealed, %d already under the new key so far\n", rc.Column, rc.Resealed, rc.Skipped)
		}
	})
	for _, rc := range counts {
		fmt.Fprintf(c.stdout, "  %-28s %d re-sealed, %d skipped (already under the new key)\n", rc.Column+":", rc.Resealed, rc.Skipped)
	}
	if err != nil {
		return err
	}
	oldFiles := cfg.SecretKeyFile
	if oldFiles == "" {
		oldFiles = "<a file holding the previous key>"
	}
	if cfg.OldSecretKeyFiles != "" {
		oldFiles += "," + cfg.OldSecretKeyFiles
	}
	fmt.Fprintf(c.stdout, `done: every sealed value of the inventory is under key %s.
Next: restart every serve and worker process with
  --secret-key-file=%s --old-secret-key-files=%s
(unset CLUSTERWRIGHT_SECRET_KEY if it is set). The old keys then only open Temporal payloads
sealed before (keep them for the namespace's retention period after the restart) and backups
taken before (keep them while you may restore one). Run `+"`clusterwright key status`"+` with the
new settings: it must show 0 rows under an old key (run key rotate again if a process still
running on the old key wrote some meanwhile).
`, secrets.KeyID(newKey), newFile, oldFiles)
	return nil
}

func runKeyStatus(ctx context.Context, c *cli, args []string) error {
	cfg, _, err := parse(c, "key", args, nil)
	if err != nil {
		return err
	}
	keys, uses, err := app.KeyStatus(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "primary key %s; old keys %v\n", keys.IDs()[0], keys.IDs()[1:])
	tw := tabwriter.NewWriter(c.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "COLUMN\tKEY ID\tROWS\tKEY")
	notPrimary, unknown := 0, 0
	for _, u := range uses {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", u.Column, u.KeyID, u.Rows, u.Role)
		if u.Role != "primary" {
			notPrimary += u.Rows
		}
		if u.Role == "unknown" {
			unknown += u.Rows
		}
	}
	tw.Flush()
	fmt.Fprintf(c.stdout, "rows under an old key: %d\n", notPrimary)
	if unknown > 0 {
		fmt.Fprintf(c.stdout, "rows under a key this configuration does not hold: %d (they do not open; add that key to --old-secret-key-files and run key rotate)\n", unknown)
	}
	if notPrimary > 0 {
		fmt.Fprintln(c.stdout, "run `clusterwright key rotate --new-key-file <the primary key's file>` to re-seal them")
	} else if len(keys.Old) > 0 {
		fmt.Fprintln(c.stdout, "no row needs an old key; keep the old keys only until the Temporal namespace's retention has passed since the rotation (payloads) and while you may restore a backup taken before it")
	}
	return nil
}
