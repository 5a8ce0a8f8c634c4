package backupstore

import (
	"fmt"
	"strings"
)

// bech32Encode encodes data with the human-readable part hrp as BIP 173
// Bech32, upper case, the way age writes its identities
// ("AGE-SECRET-KEY-1..."). age parses identities only from this text.
func bech32Encode(hrp string, data []byte) (string, error) {
	const charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
	values, err := convertBits(data, 8, 5)
	if err != nil {
		return "", err
	}
	hrp = strings.ToLower(hrp)
	checksum := bech32Checksum(hrp, values)
	var b strings.Builder
	b.WriteString(hrp)
	b.WriteByte('1')
	for _, v := range append(values, checksum...) {
		b.WriteByte(charset[v])
	}
	return strings.ToUpper(b.String()), nil
}

// bech32Polymod is BIP 173's checksum function.
func bech32Polymod(values []byte) uint32 {
	gen := [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
	chk := uint32(1)
	for _, v := range values {
		top := chk >> 25
		chk = (chk&0x1ffffff)<<5 ^ uint32(v)
		for i := range 5 {
			if (top>>i)&1 == 1 {
				chk ^= gen[i]
			}
		}
	}
	return chk
}

// bech32Checksum is the six 5-bit checksum values of hrp and data.
func bech32Checksum(hrp string, data []byte) []byte {
	var values []byte
	for i := range len(hrp) {
		values = append(values, hrp[i]>>5)
	}
	values = append(values, 0)
	for i := range len(hrp) {
		values = append(values, hrp[i]&31)
	}
	values = append(values, data...)
	values = append(values, 0, 0, 0, 0, 0, 0)
	mod := bech32Polymod(values) ^ 1
	out := make([]byte, 6)
	for i := range out {
		out[i] = byte(mod>>(5*(5-i))) & 31
	}
	return out
}

// convertBits regroups data from groups of from bits to groups of to bits,
// padding the last group with zeros.
func convertBits(data []byte, from, to uint) ([]byte, error) {
	var acc, bits uint
	var out []byte
	maxv := uint(1)<<to - 1
	for _, b := range data {
		if uint(b)>>from != 0 {
			return nil, fmt.Errorf("bech32: value %d does not fit in %d bits", b, from)
		}
		acc = acc<<from | uint(b)
		bits += from
		for bits >= to {
			bits -= to
			out = append(out, byte(acc>>bits&maxv))
		}
	}
	if bits > 0 {
		out = append(out, byte(acc<<(to-bits)&maxv))
	}
	return out, nil
}
