package app

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/clusterwright/clusterwright/inventory"
	"github.com/clusterwright/clusterwright/secrets"
)

// MasterKeys are the configured master keys: Primary seals (inventory rows, Temporal
// payloads, backups); every key opens what it sealed.
type MasterKeys struct {
	Primary []byte
	Old     [][]byte // from OldSecretKeyFiles, in order, without the primary
}

// MasterKeys loads the primary key (secret-key or secret-key-file) and the old keys
// (old-secret-key-files). Errors name the file that is bad, never a key.
func (c *Config) MasterKeys() (MasterKeys, error) {
	var keys MasterKeys
	primary, err := secrets.LoadKey(c.SecretKey, c.SecretKeyFile)
	if err != nil {
		return keys, fmt.Errorf("secret key: %w", err)
	}
	keys.Primary = primary
	for _, file := range strings.Split(c.OldSecretKeyFiles, ",") {
		file = strings.TrimSpace(file)
		if file == "" {
			continue
		}
		old, err := secrets.LoadKey("", file)
		if err != nil {
			return keys, fmt.Errorf("old-secret-key-files: %w", err)
		}
		if !bytes.Equal(old, primary) {
			keys.Old = append(keys.Old, old)
		}
	}
	return keys, nil
}

// Keyring is the keyring of the keys: sealing with the primary, opening with any.
func (k MasterKeys) Keyring() (*secrets.Keyring, error) {
	ring, err := secrets.NewKeyring(k.Primary, k.Old...)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	return ring, nil
}

// IDs are the key ids of the primary key then the old ones.
func (k MasterKeys) IDs() []string {
	ids := []string{secrets.KeyID(k.Primary)}
	for _, old := range k.Old {
		ids = append(ids, secrets.KeyID(old))
	}
	return ids
}

// OldPayloadKeys are the Temporal payload keys (see PayloadKey) of the old master keys.
func (k MasterKeys) OldPayloadKeys() [][]byte {
	out := make([][]byte, len(k.Old))
	for i, old := range k.Old {
		out[i] = PayloadKey(old)
	}
	return out
}

// RotateMasterKey seals every secret of the inventory again under newKey (see
// inventory.Store.Reseal): values are opened with the configured keys (the current
// primary and the old ones) and sealed with newKey, each row in its own transaction,
// so an interrupted rotation is finished by running it again, and a rerun after it
// finished re-seals nothing. progress, if set, is called after each row.
//
// The configuration is not changed: afterwards every process is restarted with newKey
// as its secret key and the previous keys in old-secret-key-files.
func RotateMasterKey(ctx context.Context, cfg Config, newKey []byte, logger *slog.Logger, progress func(inventory.ResealCount)) ([]inventory.ResealCount, error) {
	if cfg.DatabaseURL == "" {
		return nil, fmt.Errorf("database-url ($DATABASE_URL) is required")
	}
	current, err := cfg.MasterKeys()
	if err != nil {
		return nil, err
	}
	rotated := MasterKeys{Primary: newKey}
	for _, k := range append([][]byte{current.Primary}, current.Old...) {
		if !bytes.Equal(k, newKey) {
			rotated.Old = append(rotated.Old, k)
		}
	}
	ring, err := rotated.Keyring()
	if err != nil {
		return nil, fmt.Errorf("new key: %w", err)
	}
	store, err := inventory.Open(ctx, cfg.DatabaseURL, ring)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	logger.Info("re-sealing the inventory's secrets", "new_key_id", secrets.KeyID(newKey), "old_key_ids", rotated.IDs()[1:])
	counts, err := store.Reseal(ctx, inventory.ResealOptions{OnRow: progress})
	if err != nil {
		return counts, fmt.Errorf("key rotation stopped (run it again to finish): %w", err)
	}
	return counts, nil
}

// KeyUse is how many sealed values of a column are under one master key, and what the
// configuration knows of that key.
type KeyUse struct {
	inventory.SealedKeyCount
	Role string // "primary", "old" (in old-secret-key-files) or "unknown"
}

// KeyStatus counts the inventory's sealed values by the master key they are under.
// A value under an "old" key still opens; "unknown" ones do not open with this
// configuration at all.
func KeyStatus(ctx context.Context, cfg Config) (MasterKeys, []KeyUse, error) {
	keys, err := cfg.MasterKeys()
	if err != nil {
		return keys, nil, err
	}
	store, _, err := openStore(ctx, cfg)
	if err != nil {
		return keys, nil, err
	}
	defer store.Close()
	counts, err := store.SealedKeyCounts(ctx)
	if err != nil {
		return keys, nil, err
	}
	ids := keys.IDs()
	out := make([]KeyUse, len(counts))
	for i, c := range counts {
		role := "unknown"
		switch {
		case c.KeyID == ids[0]:
			role = "primary"
		case contains(ids[1:], c.KeyID):
			role = "old"
		}
		out[i] = KeyUse{SealedKeyCount: c, Role: role}
	}
	return keys, out, nil
}
