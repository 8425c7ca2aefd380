package state

import (
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/tenantstorage/tenantstorage-operator/internal/iampolicy"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/world"
)

// ErrNotFound wraps every "no such role/bucket/key" error of the mutations.
var ErrNotFound = errors.New("not found")

func parse(text string, kind world.PolicyKind) (*iampolicy.Document, error) {
	doc, err := iampolicy.Parse([]byte(text))
	if err == nil {
		err = world.CheckKind(doc, kind)
	}
	return doc, err
}

// SetRoleTrustPolicy replaces a role's trust policy.
func (s *Store) SetRoleTrustPolicy(roleARN, policy string) error {
	doc, err := parse(policy, world.TrustPolicy)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.roles[roleARN]
	if !ok {
		return fmt.Errorf("role %s: %w", roleARN, ErrNotFound)
	}
	nr := *r
	nr.Trust = doc
	s.roles[roleARN] = &nr
	return nil
}

// SetRoleInlinePolicy puts (or, with policy "", deletes) a role's inline
// policy.
func (s *Store) SetRoleInlinePolicy(roleARN, name, policy string) error {
	var doc *iampolicy.Document
	if policy != "" {
		var err error
		if doc, err = parse(policy, world.IdentityPolicy); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.roles[roleARN]
	if !ok {
		return fmt.Errorf("role %s: %w", roleARN, ErrNotFound)
	}
	nr := *r
	nr.Inline = maps.Clone(r.Inline)
	if nr.Inline == nil {
		nr.Inline = map[string]*iampolicy.Document{}
	}
	if doc == nil {
		delete(nr.Inline, name)
	} else {
		nr.Inline[name] = doc
	}
	s.roles[roleARN] = &nr
	return nil
}

func (s *Store) updateBucket(name string, f func(*Bucket) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[name]
	if !ok {
		return fmt.Errorf("bucket %s: %w", name, ErrNotFound)
	}
	nb := *b
	if err := f(&nb); err != nil {
		return err
	}
	s.buckets[name] = &nb
	return nil
}

// SetBucketPolicy replaces (or, with policy "", deletes) a bucket policy.
func (s *Store) SetBucketPolicy(bucket, policy string) error {
	var doc *iampolicy.Document
	if policy != "" {
		var err error
		if doc, err = parse(policy, world.ResourcePolicy); err != nil {
			return err
		}
	}
	return s.updateBucket(bucket, func(b *Bucket) error {
		b.Policy = doc
		return nil
	})
}

// SetBucketEncryption replaces a bucket's default encryption.
func (s *Store) SetBucketEncryption(bucket string, enc world.Encryption) error {
	return s.updateBucket(bucket, func(b *Bucket) error {
		region := func(arn string) (string, bool) {
			k, ok := s.keys[arn] // the lock is held by updateBucket
			if !ok {
				return "", false
			}
			return k.Region, true
		}
		if err := world.CheckEncryption(&enc, b.Region, region); err != nil {
			return err
		}
		b.Encryption = enc
		return nil
	})
}

// DeleteBucket removes a bucket (objects and all: the s3 package drops
// them too).
func (s *Store) DeleteBucket(bucket string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.buckets[bucket]; !ok {
		return fmt.Errorf("bucket %s: %w", bucket, ErrNotFound)
	}
	delete(s.buckets, bucket)
	return nil
}

// SetKeyState moves a key to Enabled, Disabled or PendingDeletion (with
// KMS's default 30-day waiting period counted from now).
func (s *Store) SetKeyState(keyID, keyState string, now time.Time) error {
	switch keyState {
	case "Enabled", "Disabled", "PendingDeletion":
	default:
		return fmt.Errorf("key state %q must be Enabled, Disabled or PendingDeletion", keyState)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k, err := s.findKey(keyID)
	if err != nil {
		return fmt.Errorf("%w: %w", err, ErrNotFound)
	}
	nk := *k
	nk.State, nk.DeletionDate = keyState, time.Time{}
	if keyState == "PendingDeletion" {
		nk.DeletionDate = now.Add(30 * 24 * time.Hour)
	}
	s.keys[k.ARN] = &nk
	return nil
}

// SetKeyPolicy replaces a key policy.
func (s *Store) SetKeyPolicy(keyID, policy string) error {
	doc, err := parse(policy, world.ResourcePolicy)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k, err := s.findKey(keyID)
	if err != nil {
		return fmt.Errorf("%w: %w", err, ErrNotFound)
	}
	nk := *k
	nk.Policy = doc
	s.keys[k.ARN] = &nk
	return nil
}
