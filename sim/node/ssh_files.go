package node

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"syscall"
)

// File commands of the simulated node. Every path is resolved inside the
// node's root directory through an os.Root, so neither ".." nor a symbolic
// link can reach the host's files. Without sudo the SSH user may read
// world-readable files only and write under its home directory and /tmp.

// openRoot opens the node's "/".
func (sh *shell) openRoot() (*os.Root, error) {
	if err := os.MkdirAll(sh.node.cfg.RootDir, 0o755); err != nil {
		return nil, err
	}
	return os.OpenRoot(sh.node.cfg.RootDir)
}

// rel is the path of the absolute node path p relative to the root.
func rel(p string) string {
	r := strings.TrimPrefix(path.Clean(p), "/")
	if r == "" {
		return "."
	}
	return r
}

// errText says what failed the way coreutils do (strerror).
func errText(err error) string {
	var errno syscall.Errno
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "No such file or directory"
	case errors.Is(err, fs.ErrExist):
		return "File exists"
	case errors.Is(err, fs.ErrPermission):
		return "Permission denied"
	case errors.As(err, &errno):
		s := errno.Error()
		return strings.ToUpper(s[:1]) + s[1:]
	case strings.Contains(err.Error(), "escapes from parent"), strings.Contains(err.Error(), "path escapes"):
		// A symbolic link that leads out of the node: the node cannot follow it.
		return "Permission denied"
	}
	return err.Error()
}

// mayWrite reports whether cmd's user may write at the node path p.
func (sh *shell) mayWrite(cmd command, p string) bool {
	return cmd.root || p == sh.home() || strings.HasPrefix(p, sh.home()+"/") || strings.HasPrefix(p, "/tmp/")
}

// mayRead reports whether cmd's user may read a file of mode m.
func mayRead(cmd command, m fs.FileMode) bool {
	return cmd.root || m&0o004 != 0
}

// fail prints "NAME: MSG" on stderr and returns status.
func (sh *shell) fail(status int, name, format string, args ...any) int {
	fmt.Fprintf(sh.stderr, name+": "+format+"\n", args...)
	return status
}

// longFlags maps the long options of the file commands to their letters.
var longFlags = map[string]string{
	"--force": "f", "--recursive": "r", "--parents": "p", "--append": "a", "--all": "a", "--archive": "a",
}

// splitFlags separates options ("-rf", "--force", anywhere as GNU tools
// take them) from operands; "--" ends the options.
func splitFlags(args []string) (flags string, operands []string) {
	for i, a := range args {
		switch {
		case a == "--":
			return flags, append(operands, args[i+1:]...)
		case strings.HasPrefix(a, "--"):
			flags += longFlags[a]
		case len(a) > 1 && a[0] == '-':
			flags += a[1:]
		default:
			operands = append(operands, a)
		}
	}
	return flags, operands
}

func (sh *shell) cat(cmd command) int {
	return sh.readFiles(cmd, "cat", func(_ string, b []byte) { _, _ = sh.stdout.Write(b) })
}

// readFiles reads each operand of cmd, a regular file the caller may read, and hands
// its content to use; errors are reported as tool reports them. It returns the exit
// status.
func (sh *shell) readFiles(cmd command, tool string, use func(arg string, data []byte)) int {
	root, err := sh.openRoot()
	if err != nil {
		return sh.fail(1, tool, "%v", err)
	}
	defer root.Close()
	status := 0
	for _, arg := range cmd.args {
		p := sh.abs(arg)
		fi, err := root.Stat(rel(p))
		switch {
		case err != nil:
			status = sh.fail(1, tool, "%s: %s", arg, errText(err))
		case fi.IsDir():
			status = sh.fail(1, tool, "%s: Is a directory", arg)
		case !mayRead(cmd, fi.Mode()):
			status = sh.fail(1, tool, "%s: Permission denied", arg)
		default:
			b, err := root.ReadFile(rel(p))
			if err != nil {
				status = sh.fail(1, tool, "%s: %s", arg, errText(err))
				continue
			}
			use(arg, b)
		}
	}
	return status
}

// tee copies standard input to standard output and to each FILE (-a appends).
func (sh *shell) tee(cmd command) int {
	flags, files := splitFlags(cmd.args)
	appendTo := strings.Contains(flags, "a")
	data, err := io.ReadAll(sh.stdin)
	if err != nil {
		return sh.fail(1, "tee", "standard input: %s", errText(err))
	}
	root, err := sh.openRoot()
	if err != nil {
		return sh.fail(1, "tee", "%v", err)
	}
	defer root.Close()
	status := 0
	for _, arg := range files {
		p := sh.abs(arg)
		if !sh.mayWrite(cmd, p) {
			status = sh.fail(1, "tee", "%s: Permission denied", arg)
			continue
		}
		flag := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
		if appendTo {
			flag = os.O_WRONLY | os.O_CREATE | os.O_APPEND
		}
		f, err := root.OpenFile(rel(p), flag, 0o644)
		if err == nil {
			_, err = f.Write(data)
			err = errors.Join(err, f.Close())
		}
		if err != nil {
			status = sh.fail(1, "tee", "%s: %s", arg, errText(err))
		}
	}
	_, _ = sh.stdout.Write(data)
	return status
}

func (sh *shell) ls(cmd command) int {
	flags, args := splitFlags(cmd.args)
	long, all := strings.Contains(flags, "l"), strings.ContainsAny(flags, "aA")
	if len(args) == 0 {
		args = []string{"."}
	}
	root, err := sh.openRoot()
	if err != nil {
		return sh.fail(2, "ls", "%v", err)
	}
	defer root.Close()
	status := 0
	for i, arg := range args {
		p := sh.abs(arg)
		fi, err := root.Stat(rel(p))
		if err != nil {
			status = sh.fail(2, "ls", "cannot access '%s': %s", arg, errText(err))
			continue
		}
		if !fi.IsDir() {
			sh.lsEntry(arg, fi, long)
			continue
		}
		if len(args) > 1 {
			if i > 0 {
				fmt.Fprintln(sh.stdout)
			}
			fmt.Fprintf(sh.stdout, "%s:\n", arg)
		}
		entries, err := fs.ReadDir(root.FS(), rel(p))
		if err != nil {
			status = sh.fail(2, "ls", "cannot open directory '%s': %s", arg, errText(err))
			continue
		}
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") && !all {
				continue
			}
			info, err := e.Info()
			if err != nil {
				continue
			}
			sh.lsEntry(e.Name(), info, long)
		}
	}
	return status
}

// lsEntry prints one name, with -l as `ls -l` does.
func (sh *shell) lsEntry(name string, fi fs.FileInfo, long bool) {
	if !long {
		fmt.Fprintln(sh.stdout, name)
		return
	}
	fmt.Fprintf(sh.stdout, "%s 1 root root %8d %s %s\n", fi.Mode().String(), fi.Size(), fi.ModTime().Format("Jan _2 15:04"), name)
}

func (sh *shell) mkdir(cmd command) int {
	flags, args := splitFlags(cmd.args)
	parents := strings.Contains(flags, "p")
	if len(args) == 0 {
		return sh.fail(1, "mkdir", "missing operand")
	}
	root, err := sh.openRoot()
	if err != nil {
		return sh.fail(1, "mkdir", "%v", err)
	}
	defer root.Close()
	status := 0
	for _, arg := range args {
		p := sh.abs(arg)
		if !sh.mayWrite(cmd, p) {
			status = sh.fail(1, "mkdir", "cannot create directory ‘%s’: Permission denied", arg)
			continue
		}
		if parents {
			err = root.MkdirAll(rel(p), 0o755)
		} else {
			err = root.Mkdir(rel(p), 0o755)
		}
		if err != nil {
			status = sh.fail(1, "mkdir", "cannot create directory ‘%s’: %s", arg, errText(err))
		}
	}
	return status
}

func (sh *shell) rm(cmd command) int {
	flags, args := splitFlags(cmd.args)
	force, recursive := strings.Contains(flags, "f"), strings.ContainsAny(flags, "rR")
	if len(args) == 0 && !force {
		return sh.fail(1, "rm", "missing operand")
	}
	root, err := sh.openRoot()
	if err != nil {
		return sh.fail(1, "rm", "%v", err)
	}
	defer root.Close()
	status := 0
	for _, arg := range args {
		p := sh.abs(arg)
		if p == "/" {
			status = sh.fail(1, "rm", "it is dangerous to operate recursively on '/'\nrm: use --no-preserve-root to override this failsafe")
			continue
		}
		fi, err := root.Lstat(rel(p))
		switch {
		case errors.Is(err, fs.ErrNotExist) && force:
		case err != nil:
			status = sh.fail(1, "rm", "cannot remove '%s': %s", arg, errText(err))
		case !sh.mayWrite(cmd, path.Dir(p)+"/"):
			status = sh.fail(1, "rm", "cannot remove '%s': Permission denied", arg)
		case fi.IsDir() && !recursive:
			status = sh.fail(1, "rm", "cannot remove '%s': Is a directory", arg)
		default:
			if err := root.RemoveAll(rel(p)); err != nil {
				status = sh.fail(1, "rm", "cannot remove '%s': %s", arg, errText(err))
			}
		}
	}
	return status
}

func (sh *shell) mv(cmd command) int {
	_, args := splitFlags(cmd.args)
	if len(args) != 2 {
		return sh.fail(1, "mv", "the simulated node moves one SOURCE to one DEST")
	}
	root, err := sh.openRoot()
	if err != nil {
		return sh.fail(1, "mv", "%v", err)
	}
	defer root.Close()
	src, dst := sh.abs(args[0]), sh.abs(args[1])
	if _, err := root.Lstat(rel(src)); err != nil {
		return sh.fail(1, "mv", "cannot stat '%s': %s", args[0], errText(err))
	}
	if fi, err := root.Stat(rel(dst)); err == nil && fi.IsDir() {
		dst = path.Join(dst, path.Base(src))
	}
	if !sh.mayWrite(cmd, src) || !sh.mayWrite(cmd, dst) {
		return sh.fail(1, "mv", "cannot move '%s' to '%s': Permission denied", args[0], args[1])
	}
	if err := root.Rename(rel(src), rel(dst)); err != nil {
		return sh.fail(1, "mv", "cannot move '%s' to '%s': %s", args[0], args[1], errText(err))
	}
	return 0
}

// cp copies a file, or with -r (-a) a directory tree, keeping file modes.
func (sh *shell) cp(cmd command) int {
	flags, args := splitFlags(cmd.args)
	recursive := strings.ContainsAny(flags, "rRa")
	if len(args) != 2 {
		return sh.fail(1, "cp", "the simulated node copies one SOURCE to one DEST")
	}
	root, err := sh.openRoot()
	if err != nil {
		return sh.fail(1, "cp", "%v", err)
	}
	defer root.Close()
	src, dst := sh.abs(args[0]), sh.abs(args[1])
	fi, err := root.Stat(rel(src))
	if err != nil {
		return sh.fail(1, "cp", "cannot stat '%s': %s", args[0], errText(err))
	}
	if dfi, err := root.Stat(rel(dst)); err == nil && dfi.IsDir() {
		dst = path.Join(dst, path.Base(src))
	}
	if !sh.mayWrite(cmd, dst) {
		return sh.fail(1, "cp", "cannot create regular file '%s': Permission denied", args[1])
	}
	if fi.IsDir() && !recursive {
		return sh.fail(1, "cp", "-r not specified; omitting directory '%s'", args[0])
	}
	err = fs.WalkDir(root.FS(), rel(src), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := path.Join(rel(dst), strings.TrimPrefix(p, rel(src)))
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			return root.MkdirAll(target, info.Mode().Perm())
		}
		if !mayRead(cmd, info.Mode()) {
			return fmt.Errorf("'%s': %w", "/"+p, fs.ErrPermission)
		}
		b, err := root.ReadFile(p)
		if err != nil {
			return err
		}
		return root.WriteFile(target, b, info.Mode().Perm())
	})
	if err != nil {
		return sh.fail(1, "cp", "cannot copy '%s': %s", args[0], errText(err))
	}
	return 0
}

func (sh *shell) sha256sum(cmd command) int {
	return sh.readFiles(cmd, "sha256sum", func(arg string, b []byte) { fmt.Fprintf(sh.stdout, "%x  %s\n", sha256.Sum256(b), arg) })
}

// test evaluates `test -f|-d|-e|-s FILE` (and `[ ... ]`).
func (sh *shell) test(cmd command) int {
	args := cmd.args
	if cmd.name == "[" {
		if len(args) == 0 || args[len(args)-1] != "]" {
			return sh.fail(2, "bash: [", "missing `]'")
		}
		args = args[:len(args)-1]
	}
	negate := len(args) > 0 && args[0] == "!"
	if negate {
		args = args[1:]
	}
	if len(args) != 2 || !slices.Contains([]string{"-f", "-d", "-e", "-s"}, args[0]) {
		return sh.fail(2, "test", "the simulated node supports test [!] -f|-d|-e|-s FILE")
	}
	ok := false
	if root, err := sh.openRoot(); err == nil {
		fi, err := root.Stat(rel(sh.abs(args[1])))
		root.Close()
		if err == nil {
			switch args[0] {
			case "-f":
				ok = fi.Mode().IsRegular()
			case "-d":
				ok = fi.IsDir()
			case "-e":
				ok = true
			case "-s":
				ok = fi.Size() > 0
			}
		}
	}
	if ok != negate {
		return 0
	}
	return 1
}
