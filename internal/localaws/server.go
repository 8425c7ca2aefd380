// Package localaws is an offline AWS (STS, S3, KMS) that authenticates
// requests with SigV4 and authorizes them with IAM policy evaluation the way
// AWS does, so that a test passing against it means the same against AWS.
// The real aws-sdk-go-v2 clients talk to it with only AWS_ENDPOINT_URL set
// (and path-style addressing for S3). See README.md.
package localaws

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/authz"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/awsreq"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/calls"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/control"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/faults"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/kms"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/s3"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/sigv4"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/state"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/sts"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/world"
)

// Aliases so that users of the emulator need only this package.
type (
	// World is what exists in the emulated AWS (see world.World).
	World = world.World
	// Encryption is a bucket's default encryption.
	Encryption = world.Encryption
	// Fault is a fault injection rule.
	Fault = faults.Fault
	// FaultKind is what a fault does.
	FaultKind = faults.Kind
	// Call is one recorded request.
	Call = calls.Call
	// CallFilter selects recorded calls.
	CallFilter = calls.Filter
)

// Fault kinds.
const (
	FaultLatency       = faults.Latency
	FaultThrottle      = faults.Throttle
	FaultInternalError = faults.InternalError
	FaultUnavailable   = faults.Unavailable
	FaultReset         = faults.Reset
)

// LoadWorld reads and validates a world file (YAML).
func LoadWorld(path string) (*World, error) { return world.Load(path) }

// ParseWorld reads and validates a world from YAML or JSON.
func ParseWorld(data []byte) (*World, error) { return world.Parse(data) }

// Option configures a Server.
type Option func(*Server)

// WithClock replaces the wall clock: session expiry, aws:CurrentTime,
// object timestamps and the rate limit window all follow now, so tests can
// expire sessions without waiting.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// Server is the emulator. Its zero value is not usable; call New.
type Server struct {
	now      func() time.Time
	store    *state.Store
	s3       *s3.Service
	services map[string]awsreq.Service
	faults   faults.Injector
	calls    calls.Recorder
	control  http.Handler

	mu   sync.Mutex
	http *http.Server
}

// New builds a server for a validated world (from LoadWorld or
// ParseWorld).
func New(w *World, opts ...Option) (*Server, error) {
	s := &Server{now: time.Now}
	for _, o := range opts {
		o(s)
	}
	store, err := state.New(w, s.now())
	if err != nil {
		return nil, err
	}
	az := &authz.Authorizer{Store: store}
	k := &kms.Service{Store: store, Authz: az, Record: s.calls.Add}
	s3svc, err := s3.New(store, az, k)
	if err != nil {
		return nil, err
	}
	s.store, s.s3 = store, s3svc
	s.services = map[string]awsreq.Service{
		"sts": &sts.Service{Store: store, Authz: az},
		"s3":  s3svc,
		"kms": k,
	}
	s.control = control.Handler(s)
	return s, nil
}

// Handler serves the emulated services and the control API, for use with
// httptest.NewServer.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// Start listens on addr (e.g. "127.0.0.1:0") and serves in the background.
// It returns the endpoint URL to use as AWS_ENDPOINT_URL.
func (s *Server) Start(addr string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.http != nil {
		return "", errors.New("localaws: server already started")
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	s.http = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	srv := s.http
	go func() {
		// Serve returns http.ErrServerClosed after Close; any other error
		// means the listener failed, which Serve has then closed, so clients
		// see refused connections and there is no one else to tell.
		_ = srv.Serve(l)
	}()
	return "http://" + l.Addr().String(), nil
}

// Close stops a server started with Start, dropping open connections.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.http == nil {
		return nil
	}
	return s.http.Close()
}

// statusWriter remembers the status code for the call record.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection for resets.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func requestID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// serveHTTP routes by the SigV4 credential scope's service, authenticates,
// applies faults and the rate limit, serves, and records the call.
func (s *Server) serveHTTP(rw http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, control.Prefix) {
		s.control.ServeHTTP(rw, r)
		return
	}
	w := &statusWriter{ResponseWriter: rw}
	now := s.now()
	ip, _, _ := net.SplitHostPort(r.RemoteAddr)
	req := &awsreq.Request{HTTP: r, RequestID: requestID(),
		Env: authz.Env{Now: now, Secure: r.TLS != nil, SourceIP: ip}}
	auth, fail := sigv4.Parse(r)
	name := sigv4.ServiceHint(r)
	if fail == nil {
		name, req.Env.Region = auth.Service, auth.Region
	}
	svc, ok := s.services[name]
	if !ok {
		http.Error(w, "localaws emulates sts, s3 and kms, not "+name, http.StatusBadRequest)
		return
	}
	payload, perr := sigv4.ReadPayload(r, name)
	if payload != nil {
		req.Body, req.Trailers = payload.Body, payload.Trailers
	}
	req.Operation = svc.Operation(r, req.Body)
	if rn, ok := svc.(awsreq.ResourceNamer); ok {
		req.Bucket, req.Key = rn.Resource(r)
	}
	var accessKey string
	if auth != nil {
		accessKey = auth.AccessKeyID
	}
	// The record is added before the handler returns, which is before
	// net/http sends the (buffered) response, so a client never sees an
	// answer its call record is missing from.
	recorded := false
	record := func() {
		if recorded {
			return
		}
		recorded = true
		c := calls.Call{Time: now, AccessKeyID: accessKey, Service: name, Operation: req.Operation,
			Outcome: req.Outcome, Status: w.status, Bucket: req.Bucket, Key: req.Key, KMSKey: req.KMSKey}
		if req.Principal != nil {
			c.Principal = req.Principal.ARN
		}
		s.calls.Add(c)
	}
	defer record()
	if fail == nil {
		fail = perr
	}
	if fail == nil {
		fail = s.authenticate(req, auth, payload)
	}
	if fail != nil {
		svc.WriteError(w, req, svc.AuthError(fail.Failure))
		return
	}
	delay, kind := s.faults.Match(name, req.Operation, req.Principal.ARN)
	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			req.Outcome = "ClientGone"
			return
		}
	}
	if kind == "" && !s.faults.Admit(now) {
		kind = faults.Throttle
	}
	switch kind {
	case "":
		svc.Serve(w, req)
	case faults.Reset:
		req.Outcome = "ConnectionReset"
		record() // the client learns of the reset at once
		reset(w)
	default:
		svc.WriteError(w, req, svc.FaultError(kind))
	}
}

// authenticate resolves the access key, checks the session token, the
// signature, the session's expiry and (S3) the payload digest, in that
// order.
func (s *Server) authenticate(req *awsreq.Request, auth *sigv4.Auth, payload *sigv4.Payload) *sigv4.Error {
	cred, ok := s.store.Credential(auth.AccessKeyID)
	if !ok {
		return &sigv4.Error{Failure: sigv4.UnknownAccessKey, Detail: auth.AccessKeyID}
	}
	sess := cred.Principal.Session
	if (sess == nil && auth.SessionToken != "") || (sess != nil && auth.SessionToken != sess.Token) {
		return &sigv4.Error{Failure: sigv4.InvalidToken, Detail: "session token does not belong to the access key"}
	}
	if err := sigv4.Verify(req.HTTP, auth, cred.Secret, payload.SignedHash); err != nil {
		return err
	}
	if sess != nil && !req.Env.Now.Before(sess.Expiration) {
		return &sigv4.Error{Failure: sigv4.ExpiredToken, Detail: "session expired at " + sess.Expiration.String()}
	}
	if err := payload.CheckContent(); err != nil {
		return err
	}
	req.Principal = cred.Principal
	return nil
}

// reset drops the connection with a TCP RST, as a failing load balancer
// would, so clients see "connection reset by peer".
func reset(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	raw := conn
	if nc, ok := conn.(interface{ NetConn() net.Conn }); ok {
		raw = nc.NetConn() // TLS
	}
	if tcp, ok := raw.(*net.TCPConn); ok {
		// Best effort: if it fails, Close below still drops the
		// connection, only with a FIN instead of an RST.
		_ = tcp.SetLinger(0)
	}
	conn.Close()
}

// Control operations, also served over HTTP by the control API.

// SetRoleTrustPolicy replaces a role's trust policy.
func (s *Server) SetRoleTrustPolicy(roleARN, policy string) error {
	return s.store.SetRoleTrustPolicy(roleARN, policy)
}

// SetRoleInlinePolicy puts a role's inline policy; policy "" deletes it.
func (s *Server) SetRoleInlinePolicy(roleARN, name, policy string) error {
	return s.store.SetRoleInlinePolicy(roleARN, name, policy)
}

// SetBucketPolicy replaces a bucket policy; policy "" deletes it.
func (s *Server) SetBucketPolicy(bucket, policy string) error {
	return s.store.SetBucketPolicy(bucket, policy)
}

// SetBucketEncryption replaces a bucket's default encryption.
func (s *Server) SetBucketEncryption(bucket string, enc Encryption) error {
	return s.store.SetBucketEncryption(bucket, enc)
}

// DeleteBucket removes a bucket and its objects.
func (s *Server) DeleteBucket(bucket string) error {
	if err := s.store.DeleteBucket(bucket); err != nil {
		return err
	}
	s.s3.DropBucket(bucket)
	return nil
}

// SetKeyState sets a key (ARN or key ID) Enabled, Disabled or
// PendingDeletion.
func (s *Server) SetKeyState(keyID, keyState string) error {
	return s.store.SetKeyState(keyID, keyState, s.now())
}

// SetKeyPolicy replaces a key policy.
func (s *Server) SetKeyPolicy(keyID, policy string) error {
	return s.store.SetKeyPolicy(keyID, policy)
}

// InjectFault activates a fault and returns it with its ID.
func (s *Server) InjectFault(f Fault) (Fault, error) { return s.faults.Add(f) }

// RemoveFault deactivates a fault; it reports whether it was active.
func (s *Server) RemoveFault(id string) bool { return s.faults.Remove(id) }

// Faults lists the active faults with their remaining counts.
func (s *Server) Faults() []Fault { return s.faults.List() }

// ClearFaults removes every fault.
func (s *Server) ClearFaults() { s.faults.Clear() }

// SetRateLimit answers throttling errors beyond perSecond requests in any
// second of the server clock; 0 removes the limit.
func (s *Server) SetRateLimit(perSecond int) error { return s.faults.SetRateLimit(perSecond) }

// RateLimit returns the current limit (0: none).
func (s *Server) RateLimit() int { return s.faults.RateLimit() }

// Calls returns the recorded calls matching f, oldest first.
func (s *Server) Calls(f CallFilter) []Call { return s.calls.List(f) }

// ResetCalls forgets the recorded calls.
func (s *Server) ResetCalls() { s.calls.Reset() }
