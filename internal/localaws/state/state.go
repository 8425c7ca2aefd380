// Package state is the live, mutable form of a world: who exists, what
// their policies are now, which sessions STS has issued. Every read returns
// a copy and every change replaces whole values under the lock, so request
// handlers can evaluate policies without holding it. Policy documents are
// never modified in place.
package state

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tenantstorage/tenantstorage-operator/internal/iampolicy"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/world"
)

// User is an IAM user.
type User struct {
	ARN, Account, Name, Path string
	ID                       string // unique ID (AIDA...), the aws:userid of its requests
	Inline                   map[string]*iampolicy.Document
	Managed                  []string
	Tags                     map[string]string
}

// Role is an IAM role.
type Role struct {
	ARN, Account, Name, Path string
	ID                       string // unique ID (AROA...)
	Trust                    *iampolicy.Document
	Inline                   map[string]*iampolicy.Document
	Managed                  []string
	MaxSessionDuration       time.Duration
	Tags                     map[string]string
}

// Bucket is an S3 bucket's configuration (its objects live in the s3
// package).
type Bucket struct {
	Name, Account, Region string
	Policy                *iampolicy.Document
	Encryption            world.Encryption
	Versioning            string
	PublicAccessBlock     *world.PublicAccessBlock
}

// Key is a KMS key. Material is its secret AES-256 key.
type Key struct {
	ARN, ID, Account, Region string
	Description              string
	Policy                   *iampolicy.Document
	State                    string
	DeletionDate             time.Time // set while PendingDeletion
	Aliases                  []string
	KeySpec, KeyUsage        string
	Created                  time.Time
	Material                 []byte
}

// Session is a set of temporary credentials issued by AssumeRole.
type Session struct {
	AccessKeyID, SecretAccessKey, Token string
	RoleARN, RoleName, RoleID           string
	Account                             string
	Name                                string
	Policy                              *iampolicy.Document // session policy, nil if none
	SourceIdentity                      string
	Tags                                map[string]string // session tags
	TransitiveTagKeys                   []string
	Issued, Expiration                  time.Time
}

// ARN is the session's principal, arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION
// (without the role's path, as AWS writes it).
func (s *Session) ARN() string {
	return "arn:aws:sts::" + s.Account + ":assumed-role/" + s.RoleName + "/" + s.Name
}

// Principal is an authenticated caller.
type Principal struct {
	ARN      string
	Account  string
	Type     string // "User" or "AssumedRole", the aws:PrincipalType value
	UserID   string // aws:userid: AIDA... for users, AROA...:session for sessions
	UserName string // users only
	// Session is set for role sessions.
	Session *Session
}

// Credential is what authentication needs to know about an access key.
type Credential struct {
	Secret    string
	Principal *Principal
}

// Store holds the live world.
type Store struct {
	mu       sync.RWMutex
	users    map[string]*User // by ARN
	creds    map[string]Credential
	roles    map[string]*Role
	managed  map[string]*iampolicy.Document
	buckets  map[string]*Bucket
	keys     map[string]*Key   // by ARN
	aliases  map[string]string // alias ARN -> key ARN
	sessions map[string]*Session
}

// New builds a store from a validated world. now stamps key creation.
func New(w *world.World, now time.Time) (*Store, error) {
	s := &Store{
		users: map[string]*User{}, creds: map[string]Credential{}, roles: map[string]*Role{},
		managed: map[string]*iampolicy.Document{}, buckets: map[string]*Bucket{},
		keys: map[string]*Key{}, aliases: map[string]string{}, sessions: map[string]*Session{},
	}
	for _, a := range w.Accounts {
		for _, p := range a.Policies {
			s.managed[world.PolicyARN(a.ID, p.Path, p.Name)] = p.Document.Doc
		}
		for _, u := range a.Users {
			arn := world.UserARN(a.ID, u.Path, u.Name)
			user := &User{ARN: arn, Account: a.ID, Name: u.Name, Path: u.Path, ID: uniqueID("AIDA", arn),
				Inline: docs(u.InlinePolicies), Managed: u.ManagedPolicies, Tags: u.Tags}
			s.users[arn] = user
			p := &Principal{ARN: arn, Account: a.ID, Type: "User", UserID: user.ID, UserName: u.Name}
			for _, k := range u.AccessKeys {
				s.creds[k.ID] = Credential{Secret: k.Secret, Principal: p}
			}
		}
		for _, r := range a.Roles {
			arn := world.RoleARN(a.ID, r.Path, r.Name)
			s.roles[arn] = &Role{ARN: arn, Account: a.ID, Name: r.Name, Path: r.Path, ID: uniqueID("AROA", arn),
				Trust: r.TrustPolicy.Doc, Inline: docs(r.InlinePolicies), Managed: r.ManagedPolicies,
				MaxSessionDuration: time.Duration(r.MaxSessionDuration) * time.Second, Tags: r.Tags}
		}
		for _, k := range a.Keys {
			key := &Key{ARN: world.KeyARN(k.Region, a.ID, k.ID), ID: k.ID, Account: a.ID, Region: k.Region,
				Description: k.Description, Policy: k.Policy.Doc, State: k.State, Aliases: k.Aliases,
				KeySpec: k.KeySpec, KeyUsage: k.KeyUsage, Created: now, Material: make([]byte, 32)}
			if k.State == "PendingDeletion" {
				key.DeletionDate = now.Add(30 * 24 * time.Hour) // KMS's default waiting period
			}
			if _, err := rand.Read(key.Material); err != nil {
				return nil, err
			}
			s.keys[key.ARN] = key
			for _, al := range k.Aliases {
				s.aliases[world.AliasARN(k.Region, a.ID, al)] = key.ARN
			}
		}
		for _, b := range a.Buckets {
			bucket := &Bucket{Name: b.Name, Account: a.ID, Region: b.Region, Encryption: b.Encryption,
				Versioning: b.Versioning, PublicAccessBlock: b.PublicAccessBlock}
			if b.Policy != nil {
				bucket.Policy = b.Policy.Doc
			}
			s.buckets[b.Name] = bucket
		}
	}
	return s, nil
}

func docs(in map[string]world.Policy) map[string]*iampolicy.Document {
	out := make(map[string]*iampolicy.Document, len(in))
	for n, p := range in {
		out[n] = p.Doc
	}
	return out
}

// uniqueID derives a stable IAM unique ID (prefix + 17 characters) from an
// ARN, so the same world always yields the same aws:userid values.
func uniqueID(prefix, arn string) string {
	sum := sha256.Sum256([]byte(arn))
	return prefix + base32.StdEncoding.EncodeToString(sum[:])[:17]
}

// randomID is prefix followed by n random upper-case letters and digits.
func randomID(prefix string, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return prefix + base32.StdEncoding.EncodeToString(b)[:n]
}

// Credential finds the secret and principal behind an access key ID.
func (s *Store) Credential(accessKeyID string) (Credential, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if c, ok := s.creds[accessKeyID]; ok {
		return c, true
	}
	sess, ok := s.sessions[accessKeyID]
	if !ok {
		return Credential{}, false
	}
	role := s.roles[sess.RoleARN]
	return Credential{Secret: sess.SecretAccessKey, Principal: &Principal{
		ARN: sess.ARN(), Account: sess.Account, Type: "AssumedRole",
		UserID: role.ID + ":" + sess.Name, Session: sess,
	}}, true
}

// NewSession issues credentials for a role session and records them.
func (s *Store) NewSession(sess Session) *Session {
	sess.AccessKeyID = randomID("ASIA", 16)
	sess.SecretAccessKey = randomID("", 40)
	sess.Token = randomID("IQoJb3JpZ2luX2VjE", 300)
	s.mu.Lock()
	defer s.mu.Unlock()
	p := &sess
	s.sessions[sess.AccessKeyID] = p
	return p
}

// Role returns a role by ARN.
func (s *Store) Role(arn string) (Role, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.roles[arn]
	if !ok {
		return Role{}, false
	}
	return *r, true
}

// IdentityPolicies are the policies attached to the principal now: the
// user's, or the session's role's (inline first, by name, then managed).
func (s *Store) IdentityPolicies(p *Principal) []*iampolicy.Document {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var inline map[string]*iampolicy.Document
	var managed []string
	if p.Session != nil {
		r := s.roles[p.Session.RoleARN]
		inline, managed = r.Inline, r.Managed
	} else if u := s.users[p.ARN]; u != nil {
		inline, managed = u.Inline, u.Managed
	}
	names := slices.Sorted(maps.Keys(inline))
	out := make([]*iampolicy.Document, 0, len(inline)+len(managed))
	for _, n := range names {
		out = append(out, inline[n])
	}
	for _, arn := range managed {
		out = append(out, s.managed[arn])
	}
	return out
}

// PrincipalTags are the aws:PrincipalTag values: a user's tags, or a
// session's role tags overridden by its session tags.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html
func (s *Store) PrincipalTags(p *Principal) map[string]string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if p.Session == nil {
		if u := s.users[p.ARN]; u != nil {
			return u.Tags
		}
		return nil
	}
	tags := maps.Clone(s.roles[p.Session.RoleARN].Tags)
	if tags == nil {
		tags = map[string]string{}
	}
	// Session tag keys replace role tag keys regardless of case.
	for k, v := range p.Session.Tags {
		for rk := range tags {
			if strings.EqualFold(rk, k) {
				delete(tags, rk)
			}
		}
		tags[k] = v
	}
	return tags
}

// Bucket returns a bucket's configuration.
func (s *Store) Bucket(name string) (Bucket, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, ok := s.buckets[name]
	if !ok {
		return Bucket{}, false
	}
	return *b, true
}

// Key returns a key by ARN.
func (s *Store) Key(arn string) (Key, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	k, ok := s.keys[arn]
	if !ok {
		return Key{}, false
	}
	return *k, true
}

// ResolveKey finds the key a KeyId parameter names, as KMS does: a key ID
// or alias name is looked up in account and region; an ARN must be in
// region (a request only reaches the keys of the region it was sent to).
// It returns the ARN-shaped name to use in a NotFoundException.
// https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#key-id
func (s *Store) ResolveKey(keyID, account, region string) (Key, string, bool) {
	var arn string
	switch {
	case strings.HasPrefix(keyID, "arn:"):
		arn = keyID
		parts := strings.SplitN(keyID, ":", 6)
		if len(parts) != 6 || parts[2] != "kms" || parts[3] != region {
			return Key{}, keyID, false
		}
		if strings.HasPrefix(parts[5], "alias/") {
			s.mu.RLock()
			target, ok := s.aliases[keyID]
			s.mu.RUnlock()
			if !ok {
				return Key{}, keyID, false
			}
			arn = target
		}
	case strings.HasPrefix(keyID, "alias/"):
		name := world.AliasARN(region, account, keyID)
		s.mu.RLock()
		target, ok := s.aliases[name]
		s.mu.RUnlock()
		if !ok {
			return Key{}, name, false
		}
		arn = target
	default:
		arn = world.KeyARN(region, account, keyID)
	}
	k, ok := s.Key(arn)
	return k, arn, ok
}

// findKey resolves a key ARN or bare key ID for the control operations.
func (s *Store) findKey(id string) (*Key, error) {
	if k, ok := s.keys[id]; ok {
		return k, nil
	}
	for _, k := range s.keys {
		if k.ID == id {
			return k, nil
		}
	}
	return nil, fmt.Errorf("no key %q", id)
}
