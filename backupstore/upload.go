package backupstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
)

// errTargetStopped fails the producer's writes once Put returned.
var errTargetStopped = errors.New("the target stopped reading")

// Object is an encrypted object stored by Upload.
type Object struct {
	Key string
	// Size and SHA256 (hex) are of the encrypted object at the target.
	Size   int64
	SHA256 string
	// PlainSize and PlainSHA256 are of the plaintext it encrypts.
	PlainSize   int64
	PlainSHA256 string
}

// Upload stores the plaintext that produce writes, encrypted to k, under key
// at t, hashing both sides on the way. Nothing is buffered beyond what the
// target needs in memory: the plaintext goes from produce through the
// encryption straight into Put. An error of produce or of Put fails the
// upload; Put leaves no partial object under key.
func Upload(ctx context.Context, t Target, k *Key, key string, produce func(w io.Writer) error) (Object, error) {
	if err := CheckKey(key); err != nil {
		return Object{}, err
	}
	pr, pw := io.Pipe()
	cipher := newCounter()
	type putResult struct {
		size int64
		err  error
	}
	put := make(chan putResult, 1)
	go func() {
		size, err := t.Put(ctx, key, io.TeeReader(pr, cipher))
		// Unblock the producer if Put stopped reading early.
		pr.CloseWithError(errTargetStopped)
		put <- putResult{size, err}
	}()

	plain := newCounter()
	err := encryptTo(pw, k, plain, produce)
	pw.CloseWithError(err) // nil: EOF for Put
	res := <-put
	switch {
	case err != nil && !errors.Is(err, errTargetStopped):
		return Object{}, err
	case res.err != nil:
		return Object{}, fmt.Errorf("store %s at %s: %w", key, t.Location(), res.err)
	case err != nil:
		return Object{}, fmt.Errorf("store %s at %s: %w", key, t.Location(), err)
	case res.size != cipher.n:
		return Object{}, fmt.Errorf("store %s at %s: the target stored %d bytes of %d", key, t.Location(), res.size, cipher.n)
	}
	return Object{Key: key, Size: cipher.n, SHA256: cipher.sum(), PlainSize: plain.n, PlainSHA256: plain.sum()}, nil
}

// encryptTo runs produce into an encrypting writer to w, counting and
// hashing the plaintext into plain.
func encryptTo(w io.Writer, k *Key, plain *counter, produce func(io.Writer) error) error {
	enc, err := k.Encrypt(w)
	if err != nil {
		return err
	}
	if err := produce(io.MultiWriter(enc, plain)); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("encrypt backup: %w", err)
	}
	return nil
}

// counter counts and hashes what is written to it.
type counter struct {
	n int64
	h hash.Hash
}

func newCounter() *counter { return &counter{h: sha256.New()} }

func (c *counter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return c.h.Write(p)
}

func (c *counter) sum() string { return hex.EncodeToString(c.h.Sum(nil)) }
