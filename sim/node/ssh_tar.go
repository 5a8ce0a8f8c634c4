package node

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
)

// tar creates archives as GNU tar does: `tar [-C DIR] -c[z]f FILE|- NAME...`
// (also --create, --gzip, --file=, --directory=), with the names relative
// to DIR and directories archived with everything below them. An
// unreadable file is reported and left out, and tar then exits 2, as GNU
// tar does. Extracting and listing are not simulated.
func (sh *shell) tar(cmd command) int {
	opts, err := parseTarArgs(cmd.args)
	if err != nil {
		return sh.fail(2, "tar", "%v\nTry 'tar --help' or 'tar --usage' for more information.", err)
	}
	if !opts.create {
		return sh.fail(2, "tar", "the simulated node only creates archives (-c)")
	}
	if len(opts.names) == 0 {
		return sh.fail(2, "tar", "Cowardly refusing to create an empty archive\nTry 'tar --help' or 'tar --usage' for more information.")
	}
	root, err := sh.openRoot()
	if err != nil {
		return sh.fail(2, "tar", "%v", err)
	}
	defer root.Close()
	dir := sh.abs(opts.dir)
	if fi, err := root.Stat(rel(dir)); err != nil || !fi.IsDir() {
		return sh.fail(2, "tar", "%s: Cannot open: No such file or directory\ntar: Error is not recoverable: exiting now", opts.dir)
	}

	out := sh.stdout
	if opts.file != "-" {
		p := sh.abs(opts.file)
		if !sh.mayWrite(cmd, p) {
			return sh.fail(2, "tar", "%s: Cannot open: Permission denied\ntar: Error is not recoverable: exiting now", opts.file)
		}
		f, err := root.OpenFile(rel(p), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return sh.fail(2, "tar", "%s: Cannot open: %s\ntar: Error is not recoverable: exiting now", opts.file, errText(err))
		}
		defer f.Close()
		out = f
	}
	var gz *gzip.Writer
	if opts.gzip {
		gz = gzip.NewWriter(out)
		out = gz
	}
	tw := tar.NewWriter(out)
	status := 0
	for _, name := range opts.names {
		if st := sh.tarTree(cmd, root, tw, dir, path.Clean(name)); st != 0 {
			status = st
		}
	}
	err = tw.Close()
	if gz != nil {
		err = errors.Join(err, gz.Close())
	}
	if err != nil {
		return sh.fail(2, "tar", "write error: %s", errText(err))
	}
	if status != 0 {
		fmt.Fprintln(sh.stderr, "tar: Exiting with failure status due to previous errors")
	}
	return status
}

// tarTree archives name (relative to the node directory dir) and what lies below it.
func (sh *shell) tarTree(cmd command, root *os.Root, tw *tar.Writer, dir, name string) int {
	status := 0
	start := rel(path.Join(dir, name))
	err := fs.WalkDir(root.FS(), start, func(p string, d fs.DirEntry, err error) error {
		entry := name + strings.TrimPrefix(p, start)
		if err != nil {
			status = sh.fail(2, "tar", "%s: Cannot stat: %s", entry, errText(err))
			return nil
		}
		fi, err := root.Lstat(p)
		if err != nil {
			status = sh.fail(2, "tar", "%s: Cannot stat: %s", entry, errText(err))
			return nil
		}
		link := ""
		if fi.Mode()&fs.ModeSymlink != 0 {
			if link, err = root.Readlink(p); err != nil {
				status = sh.fail(2, "tar", "%s: Cannot readlink: %s", entry, errText(err))
				return nil
			}
		}
		var data []byte
		if fi.Mode().IsRegular() {
			if !mayRead(cmd, fi.Mode()) {
				status = sh.fail(2, "tar", "%s: Cannot open: Permission denied", entry)
				return nil
			}
			if data, err = root.ReadFile(p); err != nil {
				status = sh.fail(2, "tar", "%s: Cannot open: %s", entry, errText(err))
				return nil
			}
		}
		hdr, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			status = sh.fail(2, "tar", "%s: %v", entry, err)
			return nil
		}
		hdr.Name, hdr.Uname, hdr.Gname, hdr.Uid, hdr.Gid = entry, "root", "root", 0, 0
		if fi.IsDir() {
			hdr.Name += "/"
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		_, err = tw.Write(data)
		return err
	})
	if err != nil {
		return sh.fail(2, "tar", "write error: %s", errText(err))
	}
	return status
}

// tarArgs are the options of a tar command line.
type tarArgs struct {
	create, gzip bool
	file, dir    string
	names        []string
}

// parseTarArgs parses GNU tar's options: bundled short ones (-czf FILE,
// also without the dash as the first word), long ones, and -C DIR.
func parseTarArgs(args []string) (tarArgs, error) {
	o := tarArgs{dir: ".", file: "-"}
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		args = append([]string{"-" + args[0]}, args[1:]...) // old style: tar czf FILE
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		value := func() (string, error) {
			if i+1 >= len(args) {
				return "", fmt.Errorf("option requires an argument -- '%s'", strings.TrimLeft(a, "-"))
			}
			i++
			return args[i], nil
		}
		switch {
		case a == "--create":
			o.create = true
		case a == "--gzip":
			o.gzip = true
		case strings.HasPrefix(a, "--file="):
			o.file = strings.TrimPrefix(a, "--file=")
		case strings.HasPrefix(a, "--directory="):
			o.dir = strings.TrimPrefix(a, "--directory=")
		case strings.HasPrefix(a, "--"):
			return o, fmt.Errorf("unrecognized option '%s'", a)
		case len(a) > 1 && a[0] == '-':
			for j, c := range a[1:] {
				switch c {
				case 'c':
					o.create = true
				case 'z':
					o.gzip = true
				case 'x', 't':
					o.create = false
				case 'f', 'C':
					v := a[2+j:]
					var err error
					if v == "" {
						if v, err = value(); err != nil {
							return o, err
						}
					}
					if c == 'f' {
						o.file = v
					} else {
						o.dir = v
					}
				default:
					return o, fmt.Errorf("invalid option -- '%c'", c)
				}
				if c == 'f' || c == 'C' {
					break
				}
			}
		default:
			o.names = append(o.names, a)
		}
	}
	return o, nil
}
