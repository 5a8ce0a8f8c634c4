package temporalrt

import (
	"errors"
	"fmt"
	"net"
	"strconv"
)

// pickPorts finds base such that base, base+1, ... base+n-1 are free: base on
// frontendIP, the rest on internalIP. It asks the system for a free port and
// checks the ports after it, the way Temporal's lite server does; the ports are
// released before it returns, so a small race with other processes remains.
func pickPorts(frontendIP, internalIP string, n int) (int, error) {
	const attempts = 32
	var lastErr error
	for range attempts {
		l, err := net.Listen("tcp", net.JoinHostPort(frontendIP, "0"))
		if err != nil {
			return 0, fmt.Errorf("find a free port on %s: %w", frontendIP, err)
		}
		base := l.Addr().(*net.TCPAddr).Port
		_ = l.Close()
		if lastErr = checkPorts(frontendIP, internalIP, base, n); lastErr == nil {
			return base, nil
		}
	}
	return 0, fmt.Errorf("find %d consecutive free ports: %w", n, lastErr)
}

// checkPorts reports whether base..base+n-1 can be listened on: base on
// frontendIP, the rest on internalIP.
func checkPorts(frontendIP, internalIP string, base, n int) error {
	if base <= 0 || base+n-1 > 65535 {
		return fmt.Errorf("ports %d-%d are out of range", base, base+n-1)
	}
	var errs []error
	for i := range n {
		ip := internalIP
		if i == 0 {
			ip = frontendIP
		}
		addr := net.JoinHostPort(ip, strconv.Itoa(base+i))
		l, err := net.Listen("tcp", addr)
		if err != nil {
			errs = append(errs, fmt.Errorf("port %s is not free: %w", addr, err))
			continue
		}
		_ = l.Close()
	}
	return errors.Join(errs...)
}
