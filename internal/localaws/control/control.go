// Package control is the emulator's own API, for tests and demos that run
// it out of process: change policies, buckets and keys, inject faults and
// read the call records, as plain JSON over HTTP under /_localaws/ on the
// same endpoint as the emulated services (no S3 bucket name can start with
// "_", so the prefix never shadows a bucket). It answers loopback clients
// only and needs no signature.
package control

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"

	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/calls"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/faults"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/state"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/world"
)

// Prefix is the path prefix of the control API.
const Prefix = "/_localaws/"

// Backend is what the control API drives: the server's Go API.
type Backend interface {
	SetRoleTrustPolicy(roleARN, policy string) error
	SetRoleInlinePolicy(roleARN, name, policy string) error
	SetBucketPolicy(bucket, policy string) error
	SetBucketEncryption(bucket string, enc world.Encryption) error
	DeleteBucket(bucket string) error
	SetKeyState(keyID, state string) error
	SetKeyPolicy(keyID, policy string) error
	InjectFault(f faults.Fault) (faults.Fault, error)
	RemoveFault(id string) bool
	Faults() []faults.Fault
	ClearFaults()
	SetRateLimit(perSecond int) error
	RateLimit() int
	Calls(f calls.Filter) []calls.Call
	ResetCalls()
}

// Policy is a policy document in a control request: a JSON object, or a
// string holding the document (kept byte for byte); null or absent means
// "remove" where removing makes sense.
type Policy string

// UnmarshalJSON accepts an object or a string.
func (p *Policy) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*p = Policy(s)
		return nil
	}
	if string(b) == "null" {
		*p = ""
		return nil
	}
	*p = Policy(b)
	return nil
}

type request struct {
	RoleARN    string            `json:"roleArn"`
	Name       string            `json:"name"`
	Bucket     string            `json:"bucket"`
	KeyID      string            `json:"keyId"`
	State      string            `json:"state"`
	Policy     Policy            `json:"policy"`
	Encryption *world.Encryption `json:"encryption"`
}

type rateLimit struct {
	PerSecond int `json:"perSecond"`
}

// Handler serves the control API for b.
func Handler(b Backend) http.Handler {
	mux := http.NewServeMux()
	mutate := func(path string, f func(request) error) {
		mux.HandleFunc("POST "+Prefix+path, func(w http.ResponseWriter, r *http.Request) {
			var req request
			if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
				reply(w, http.StatusBadRequest, errorBody(err))
				return
			}
			if err := f(req); err != nil {
				status := http.StatusBadRequest
				if errors.Is(err, state.ErrNotFound) {
					status = http.StatusNotFound
				}
				reply(w, status, errorBody(err))
				return
			}
			w.WriteHeader(http.StatusNoContent)
		})
	}
	mutate("roles/trust-policy", func(r request) error { return b.SetRoleTrustPolicy(r.RoleARN, string(r.Policy)) })
	mutate("roles/inline-policy", func(r request) error { return b.SetRoleInlinePolicy(r.RoleARN, r.Name, string(r.Policy)) })
	mutate("buckets/policy", func(r request) error { return b.SetBucketPolicy(r.Bucket, string(r.Policy)) })
	mutate("buckets/encryption", func(r request) error {
		if r.Encryption == nil {
			return fmt.Errorf("encryption is required")
		}
		return b.SetBucketEncryption(r.Bucket, *r.Encryption)
	})
	mutate("buckets/delete", func(r request) error { return b.DeleteBucket(r.Bucket) })
	mutate("keys/state", func(r request) error { return b.SetKeyState(r.KeyID, r.State) })
	mutate("keys/policy", func(r request) error { return b.SetKeyPolicy(r.KeyID, string(r.Policy)) })

	mux.HandleFunc("POST "+Prefix+"faults", func(w http.ResponseWriter, r *http.Request) {
		var f faults.Fault
		if err := json.NewDecoder(r.Body).Decode(&f); err != nil {
			reply(w, http.StatusBadRequest, errorBody(err))
			return
		}
		added, err := b.InjectFault(f)
		if err != nil {
			reply(w, http.StatusBadRequest, errorBody(err))
			return
		}
		reply(w, http.StatusOK, added)
	})
	mux.HandleFunc("GET "+Prefix+"faults", func(w http.ResponseWriter, r *http.Request) {
		reply(w, http.StatusOK, b.Faults())
	})
	mux.HandleFunc("DELETE "+Prefix+"faults", func(w http.ResponseWriter, r *http.Request) {
		b.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("DELETE "+Prefix+"faults/{id}", func(w http.ResponseWriter, r *http.Request) {
		if !b.RemoveFault(r.PathValue("id")) {
			reply(w, http.StatusNotFound, errorBody(fmt.Errorf("no fault %q", r.PathValue("id"))))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("PUT "+Prefix+"rate-limit", func(w http.ResponseWriter, r *http.Request) {
		var rl rateLimit
		if err := json.NewDecoder(r.Body).Decode(&rl); err != nil {
			reply(w, http.StatusBadRequest, errorBody(err))
			return
		}
		if err := b.SetRateLimit(rl.PerSecond); err != nil {
			reply(w, http.StatusBadRequest, errorBody(err))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET "+Prefix+"rate-limit", func(w http.ResponseWriter, r *http.Request) {
		reply(w, http.StatusOK, rateLimit{b.RateLimit()})
	})
	mux.HandleFunc("GET "+Prefix+"calls", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		reply(w, http.StatusOK, b.Calls(calls.Filter{Principal: q.Get("principal"), Service: q.Get("service"), Operation: q.Get("operation")}))
	})
	mux.HandleFunc("DELETE "+Prefix+"calls", func(w http.ResponseWriter, r *http.Request) {
		b.ResetCalls()
		w.WriteHeader(http.StatusNoContent)
	})
	return loopbackOnly(mux)
}

// loopbackOnly refuses clients not on this machine: the control API can
// rewrite any policy.
func loopbackOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			reply(w, http.StatusForbidden, errorBody(fmt.Errorf("the control API answers loopback clients only")))
			return
		}
		next.ServeHTTP(w, r)
	})
}

type errorResponse struct {
	Error string `json:"error"`
}

func errorBody(err error) errorResponse { return errorResponse{err.Error()} }

func reply(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":`+strconv.Quote(err.Error())+`}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	// The status is sent; a failed write means the client has gone.
	_, _ = w.Write(b)
}
