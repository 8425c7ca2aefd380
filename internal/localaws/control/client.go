package control

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/calls"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/faults"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/world"
)

// Client talks to the control API of an emulator started elsewhere (for
// example by `go run ./hack/localaws`).
type Client struct {
	// Endpoint is the emulator's URL, the AWS_ENDPOINT_URL it printed.
	Endpoint string
	// HTTP defaults to http.DefaultClient.
	HTTP *http.Client
}

// Error is a refusal from the control API.
type Error struct {
	Status  int
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("localaws control: %d: %s", e.Status, e.Message) }

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(c.Endpoint, "/")+Prefix+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var e errorResponse
		if json.Unmarshal(raw, &e) != nil || e.Error == "" {
			e.Error = string(raw)
		}
		return &Error{Status: resp.StatusCode, Message: e.Error}
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

// SetRoleTrustPolicy replaces a role's trust policy (JSON text).
func (c *Client) SetRoleTrustPolicy(ctx context.Context, roleARN, policy string) error {
	return c.do(ctx, http.MethodPost, "roles/trust-policy", map[string]string{"roleArn": roleARN, "policy": policy}, nil)
}

// SetRoleInlinePolicy puts a role's inline policy; "" deletes it.
func (c *Client) SetRoleInlinePolicy(ctx context.Context, roleARN, name, policy string) error {
	return c.do(ctx, http.MethodPost, "roles/inline-policy", map[string]string{"roleArn": roleARN, "name": name, "policy": policy}, nil)
}

// SetBucketPolicy replaces a bucket policy; "" deletes it.
func (c *Client) SetBucketPolicy(ctx context.Context, bucket, policy string) error {
	return c.do(ctx, http.MethodPost, "buckets/policy", map[string]string{"bucket": bucket, "policy": policy}, nil)
}

// SetBucketEncryption replaces a bucket's default encryption.
func (c *Client) SetBucketEncryption(ctx context.Context, bucket string, enc world.Encryption) error {
	return c.do(ctx, http.MethodPost, "buckets/encryption", map[string]any{"bucket": bucket, "encryption": enc}, nil)
}

// DeleteBucket removes a bucket and its objects.
func (c *Client) DeleteBucket(ctx context.Context, bucket string) error {
	return c.do(ctx, http.MethodPost, "buckets/delete", map[string]string{"bucket": bucket}, nil)
}

// SetKeyState sets a key Enabled, Disabled or PendingDeletion.
func (c *Client) SetKeyState(ctx context.Context, keyID, state string) error {
	return c.do(ctx, http.MethodPost, "keys/state", map[string]string{"keyId": keyID, "state": state}, nil)
}

// SetKeyPolicy replaces a key policy.
func (c *Client) SetKeyPolicy(ctx context.Context, keyID, policy string) error {
	return c.do(ctx, http.MethodPost, "keys/policy", map[string]string{"keyId": keyID, "policy": policy}, nil)
}

// InjectFault activates a fault and returns it with its ID.
func (c *Client) InjectFault(ctx context.Context, f faults.Fault) (faults.Fault, error) {
	var out faults.Fault
	err := c.do(ctx, http.MethodPost, "faults", f, &out)
	return out, err
}

// RemoveFault deactivates one fault.
func (c *Client) RemoveFault(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "faults/"+url.PathEscape(id), nil, nil)
}

// Faults lists the active faults.
func (c *Client) Faults(ctx context.Context) ([]faults.Fault, error) {
	var out []faults.Fault
	err := c.do(ctx, http.MethodGet, "faults", nil, &out)
	return out, err
}

// ClearFaults removes every fault.
func (c *Client) ClearFaults(ctx context.Context) error {
	return c.do(ctx, http.MethodDelete, "faults", nil, nil)
}

// SetRateLimit sets the global requests-per-second limit; 0 removes it.
func (c *Client) SetRateLimit(ctx context.Context, perSecond int) error {
	return c.do(ctx, http.MethodPut, "rate-limit", rateLimit{perSecond}, nil)
}

// Calls returns the recorded calls matching f.
func (c *Client) Calls(ctx context.Context, f calls.Filter) ([]calls.Call, error) {
	q := url.Values{}
	for k, v := range map[string]string{"principal": f.Principal, "service": f.Service, "operation": f.Operation} {
		if v != "" {
			q.Set(k, v)
		}
	}
	path := "calls"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var out []calls.Call
	err := c.do(ctx, http.MethodGet, path, nil, &out)
	return out, err
}

// ResetCalls forgets the recorded calls.
func (c *Client) ResetCalls(ctx context.Context) error {
	return c.do(ctx, http.MethodDelete, "calls", nil, nil)
}

// RateLimit returns the global requests-per-second limit (0: none).
func (c *Client) RateLimit(ctx context.Context) (int, error) {
	var out rateLimit
	err := c.do(ctx, http.MethodGet, "rate-limit", nil, &out)
	return out.PerSecond, err
}
